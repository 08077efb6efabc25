# A docker/podman-format seccomp profile (containers-common's
# /usr/share/containers/seccomp.json) as OCI linux.seccomp for x86_64,
# leaving out the rules that depend on capabilities (the strict reading).
#   jq -f contrib/seccomp-docker-to-oci.jq /usr/share/containers/seccomp.json
{defaultAction, defaultErrnoRet,
 architectures: [.archMap[] | select(.architecture == "SCMP_ARCH_X86_64")
                 | [.architecture] + .subArchitectures] | add,
 syscalls: [.syscalls[]
            | select((.includes.caps // []) == [] and (.excludes.caps // []) == [])
            | select((.includes.arches // ["amd64"]) | index("amd64"))
            | select((.excludes.arches // []) | index("amd64") | not)
            | {names, action} + (if (.args // []) != [] then {args} else {} end)
              + (if .errnoRet then {errnoRet} else {} end)]}
