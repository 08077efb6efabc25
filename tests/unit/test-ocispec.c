/* libocispec unit tests: every type round-trips with every field set, and
 * typed values land where the API says they do.  */

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ocispec/json.h"
#include "ocispec/image.h"
#include "ocispec/runtime.h"

#define DATA(name) OCISPEC_TESTDATA "/" name

/* Whole file, NUL-terminated, malloc'd; aborts the test on failure.  */
static char *
test_read_file (const char *path, size_t *len)
{
  FILE *f = fopen (path, "rb");
  char *buf;
  long n;

  cr_assert_not_null (f, "cannot open %s", path);
  fseek (f, 0, SEEK_END);
  n = ftell (f);
  rewind (f);
  buf = malloc ((size_t) n + 1);
  cr_assert_not_null (buf);
  cr_assert_eq (fread (buf, 1, (size_t) n, f), (size_t) n);
  buf[n] = '\0';
  fclose (f);
  if (len)
    *len = (size_t) n;
  return buf;
}

static bool
tree_equal (const oci_json *a, const oci_json *b)
{
  size_t i, j;

  if (a->type != b->type || a->len != b->len)
    return false;
  switch (a->type)
    {
    case OCI_JSON_NULL:
      return true;
    case OCI_JSON_BOOL:
      return a->b == b->b;
    case OCI_JSON_NUMBER:
    case OCI_JSON_STRING:
      return memcmp (a->s, b->s, a->len) == 0;
    case OCI_JSON_ARRAY:
      for (i = 0; i < a->len; i++)
        if (!tree_equal (a->items[i], b->items[i]))
          return false;
      return true;
    case OCI_JSON_OBJECT:
      for (i = 0; i < a->len; i++)
        {
          for (j = 0; j < b->len; j++)
            if (strcmp (a->keys[i], b->keys[j]) == 0)
              break;
          if (j == b->len || !tree_equal (a->items[i], b->items[j]))
            return false;
        }
      return true;
    }
  return false;
}

/* Same JSON value, ignoring object member order and whitespace.  */
static bool
test_json_equal (const char *a, size_t alen, const char *b, size_t blen)
{
  char *err = NULL;
  oci_json *ta = oci_json_parse (a, alen, "a", &err);
  oci_json *tb;
  bool eq;

  cr_assert_not_null (ta, "%s", err);
  tb = oci_json_parse (b, blen, "b", &err);
  cr_assert_not_null (tb, "%s", err);
  eq = tree_equal (ta, tb);
  oci_json_free (ta);
  oci_json_free (tb);
  return eq;
}

/* parse(file) -> generate -> parse -> generate: both outputs identical and
   the same JSON value as the file (so nothing, unknown keys included, is
   lost or changed).  */
#define ROUNDTRIP(T, file)                                                    \
  do                                                                          \
    {                                                                         \
      char *err = NULL, *orig, *j1, *j2;                                      \
      size_t olen;                                                            \
      T *a, *b;                                                               \
                                                                              \
      orig = test_read_file (DATA (file), &olen);                             \
      a = T##_parse_file (DATA (file), &err);                                 \
      cr_assert_not_null (a, "%s", err);                                      \
      cr_assert_null (err);                                                   \
      j1 = T##_generate_json (a, &err);                                       \
      cr_assert_not_null (j1, "%s", err);                                     \
      b = T##_parse_data (j1, strlen (j1), "gen1", &err);                     \
      cr_assert_not_null (b, "%s", err);                                      \
      j2 = T##_generate_json (b, &err);                                       \
      cr_assert_not_null (j2, "%s", err);                                     \
      cr_assert_str_eq (j1, j2);                                              \
      cr_assert (test_json_equal (orig, olen, j1, strlen (j1)),               \
                 "%s changed in the round-trip:\n%s", file, j1);              \
      T##_free (a);                                                           \
      T##_free (b);                                                           \
      free (j1);                                                              \
      free (j2);                                                              \
      free (orig);                                                            \
    }                                                                         \
  while (0)

Test (roundtrip, runtime_config) { ROUNDTRIP (oci_config, "runtime-full.json"); }
Test (roundtrip, podman_config) { ROUNDTRIP (oci_config, "podman-config.json"); }
Test (roundtrip, state) { ROUNDTRIP (oci_state, "state-full.json"); }
Test (roundtrip, features) { ROUNDTRIP (oci_features, "features-full.json"); }
Test (roundtrip, image_descriptor)
{
  ROUNDTRIP (oci_image_descriptor, "image-descriptor-full.json");
}
Test (roundtrip, image_index) { ROUNDTRIP (oci_image_index, "image-index-full.json"); }
Test (roundtrip, image_manifest)
{
  ROUNDTRIP (oci_image_manifest, "image-manifest-full.json");
}
Test (roundtrip, image_config) { ROUNDTRIP (oci_image_config, "image-config-full.json"); }
Test (roundtrip, image_layout) { ROUNDTRIP (oci_image_layout, "oci-layout-full.json"); }

/* Typed values of the full config, one or more per section.  */
Test (fields, runtime_config)
{
  char *err = NULL;
  oci_config *c = oci_config_parse_file (DATA ("runtime-full.json"), &err);
  oci_process *p;
  oci_linux *l;
  oci_resources *r;

  cr_assert_not_null (c, "%s", err);
  cr_assert_str_eq (c->oci_version, "1.2.0");
  cr_assert_str_eq (c->root->path, "rootfs");
  cr_assert (c->root->readonly && c->root->readonly_present);
  cr_assert_eq (c->mounts_len, 2);
  cr_assert_str_eq (c->mounts[0]->destination, "/data");
  cr_assert_eq (c->mounts[0]->options_len, 3);
  cr_assert_str_eq (c->mounts[0]->options[2], "idmap");
  cr_assert_eq (c->mounts[0]->uid_mappings[0]->host_id, 100000);
  cr_assert_eq (c->mounts[0]->gid_mappings[0]->size, 65536);
  cr_assert_null (c->mounts[1]->options);
  cr_assert_str_eq (c->hostname, "full");
  cr_assert_str_eq (c->domainname, "example.org");
  cr_assert_str_eq (oci_string_map_get (c->annotations, "org.example.key"), "value");
  cr_assert_str_eq (oci_string_map_get (c->annotations, "empty"), "");
  cr_assert_null (oci_string_map_get (c->annotations, "nope"));

  p = c->process;
  cr_assert (p->terminal && p->terminal_present);
  cr_assert_eq (p->console_size->height, 24);
  cr_assert_eq (p->console_size->width, 80);
  cr_assert_eq (p->user->uid, UINT32_MAX);
  cr_assert_eq (p->user->gid, 1000);
  cr_assert (p->user->umask_present);
  cr_assert_eq (p->user->umask, 18);
  cr_assert_eq (p->user->additional_gids_len, 2);
  cr_assert_eq (p->user->additional_gids[1], UINT32_MAX);
  cr_assert_str_eq (p->user->username, "alice");
  cr_assert_str_eq (p->args[2], "echo \"h\xc3\xa9llo\" \\ \xe2\x98\x83");
  cr_assert_str_eq (p->command_line, "sh -c echo");
  cr_assert_str_eq (p->cwd, "/home/alice");
  cr_assert_eq (p->env_len, 2);
  cr_assert_not_null (p->capabilities->inheritable); /* [] is present */
  cr_assert_eq (p->capabilities->inheritable_len, 0);
  cr_assert_str_eq (p->capabilities->ambient[0], "CAP_NET_RAW");
  cr_assert_eq (p->rlimits_len, 2);
  cr_assert_eq (p->rlimits[0]->hard, UINT64_MAX);
  cr_assert_eq (p->rlimits[0]->soft, 1024);
  cr_assert (p->no_new_privileges && p->no_new_privileges_present);
  cr_assert_str_eq (p->apparmor_profile, "skiff-default");
  cr_assert (p->oom_score_adj_present);
  cr_assert_eq (p->oom_score_adj, -1000);
  cr_assert_str_eq (p->scheduler->policy, "SCHED_DEADLINE");
  cr_assert_eq (p->scheduler->nice, -20);
  cr_assert_eq (p->scheduler->priority, 99);
  cr_assert_eq (p->scheduler->period, 30000000);
  cr_assert_str_eq (p->scheduler->flags[0], "SCHED_FLAG_RESET_ON_FORK");
  cr_assert_str_eq (p->selinux_label, "system_u:system_r:container_t:s0");
  cr_assert_str_eq (p->io_priority->class, "IOPRIO_CLASS_BE");
  cr_assert_eq (p->io_priority->priority, 4);
  cr_assert_str_eq (p->exec_cpu_affinity->initial, "0-3");
  cr_assert_str_eq (p->exec_cpu_affinity->final, "2");

  cr_assert_str_eq (c->hooks->prestart[0]->path, "/usr/bin/prestart");
  cr_assert_eq (c->hooks->create_runtime_len, 2);
  cr_assert (c->hooks->create_runtime[0]->timeout_present);
  cr_assert_eq (c->hooks->create_runtime[0]->timeout, 5);
  cr_assert (!c->hooks->create_runtime[1]->timeout_present);
  cr_assert_null (c->hooks->create_runtime[1]->args);
  cr_assert_str_eq (c->hooks->create_container[0]->env[0], "A=1");
  cr_assert_str_eq (c->hooks->start_container[0]->args[1], "--flag");
  cr_assert_str_eq (c->hooks->poststart[0]->path, "/usr/bin/poststart");
  cr_assert_str_eq (c->hooks->poststop[0]->path, "/usr/bin/poststop");

  l = c->linux;
  cr_assert_eq (l->namespaces_len, 4);
  cr_assert_str_eq (l->namespaces[1]->type, "network");
  cr_assert_str_eq (l->namespaces[1]->path, "/proc/1/ns/net");
  cr_assert_null (l->namespaces[0]->path);
  cr_assert_eq (l->uid_mappings[1]->container_id, 1);
  cr_assert_eq (l->gid_mappings_len, 1);
  cr_assert_eq (l->time_offsets->len, 2);
  cr_assert_str_eq (l->time_offsets->keys[0], "monotonic");
  cr_assert_eq (l->time_offsets->values[0]->secs, INT64_MIN);
  cr_assert_eq (oci_time_offset_map_get (l->time_offsets, "monotonic")->nanosecs,
                999999999);
  cr_assert_eq (l->devices[0]->major, 10);
  cr_assert_eq (l->devices[0]->minor, 229);
  cr_assert (l->devices[0]->file_mode_present);
  cr_assert_eq (l->devices[0]->file_mode, 0666);
  cr_assert (l->devices[0]->uid_present && l->devices[0]->gid_present);
  cr_assert (!l->devices[1]->major_present);
  cr_assert_str_eq (oci_net_device_map_get (l->net_devices, "eth1")->name, "ctr0");
  cr_assert_null (oci_net_device_map_get (l->net_devices, "eth2")->name);
  cr_assert_str_eq (l->cgroups_path, "/skiff/full");
  cr_assert_str_eq (l->rootfs_propagation, "rslave");
  cr_assert_str_eq (oci_string_map_get (l->sysctl, "net.ipv4.ip_forward"), "1");
  cr_assert_str_eq (l->masked_paths[1], "/sys/firmware");
  cr_assert_str_eq (l->readonly_paths[0], "/proc/sys");
  cr_assert_str_eq (l->mount_label, "system_u:object_r:container_file_t:s0");
  cr_assert_str_eq (l->intel_rdt->clos_id, "guaranteed_group");
  cr_assert_str_eq (l->intel_rdt->l3_cache_schema, "L3:0=7f0;1=1f");
  cr_assert_str_eq (l->intel_rdt->mem_bw_schema, "MB:0=20;1=70");
  cr_assert (l->intel_rdt->enable_cmt && !l->intel_rdt->enable_mbm
             && l->intel_rdt->enable_mbm_present);
  cr_assert_str_eq (l->personality->domain, "LINUX32");
  cr_assert_not_null (l->personality->flags);

  r = l->resources;
  cr_assert (!r->devices[0]->allow);
  cr_assert_null (r->devices[0]->type);
  cr_assert_str_eq (r->devices[1]->type, "c");
  cr_assert_eq (r->devices[1]->minor, 3);
  cr_assert_eq (r->memory->limit, 536870912);
  cr_assert_eq (r->memory->swap, -1);
  cr_assert_eq (r->memory->swappiness, 60);
  cr_assert (r->memory->kernel_tcp_present);
  cr_assert (r->memory->disable_oom_killer_present && !r->memory->disable_oom_killer);
  cr_assert (r->memory->use_hierarchy && r->memory->check_before_update);
  cr_assert_eq (r->cpu->shares, 1024);
  cr_assert_eq (r->cpu->quota, 100000);
  cr_assert_eq (r->cpu->burst, 50000);
  cr_assert_eq (r->cpu->realtime_runtime, 950000);
  cr_assert_eq (r->cpu->realtime_period, 1000000);
  cr_assert_str_eq (r->cpu->cpus, "0-3");
  cr_assert_str_eq (r->cpu->mems, "0");
  cr_assert_eq (r->cpu->idle, 1);
  cr_assert_eq (r->block_io->weight, 500);
  cr_assert_eq (r->block_io->leaf_weight, 300);
  cr_assert_eq (r->block_io->weight_device[0]->leaf_weight, 65535);
  cr_assert_eq (r->block_io->throttle_read_bps_device[0]->rate, 1048576);
  cr_assert_eq (r->block_io->throttle_write_bps_device[0]->major, 8);
  cr_assert_eq (r->block_io->throttle_read_iops_device[0]->rate, 1000);
  cr_assert_eq (r->block_io->throttle_write_iops_device[0]->rate, UINT64_MAX);
  cr_assert_str_eq (r->hugepage_limits[0]->page_size, "2MB");
  cr_assert_eq (r->hugepage_limits[0]->limit, 209715200);
  cr_assert_eq (r->network->class_id, 1048577);
  cr_assert_str_eq (r->network->priorities[0]->name, "eth0");
  cr_assert_eq (r->network->priorities[0]->priority, 500);
  cr_assert_eq (r->pids->limit, 32771);
  cr_assert_eq (oci_rdma_map_get (r->rdma, "mlx5_1")->hca_handles, 3);
  cr_assert_eq (r->rdma->values[0]->hca_objects, 10000);
  cr_assert_str_eq (oci_string_map_get (r->unified, "io.max"), "8:0 rbps=1048576");

  cr_assert_str_eq (l->seccomp->default_action, "SCMP_ACT_ERRNO");
  cr_assert_eq (l->seccomp->default_errno_ret, 38);
  cr_assert_str_eq (l->seccomp->architectures[1], "SCMP_ARCH_X86");
  cr_assert_str_eq (l->seccomp->flags[0], "SECCOMP_FILTER_FLAG_LOG");
  cr_assert_str_eq (l->seccomp->listener_path, "/run/seccomp-agent.socket");
  cr_assert_str_eq (l->seccomp->listener_metadata, "opaque-metadata");
  cr_assert_eq (l->seccomp->syscalls_len, 3);
  cr_assert (!l->seccomp->syscalls[0]->errno_ret_present);
  cr_assert_eq (l->seccomp->syscalls[1]->errno_ret, 1);
  cr_assert_eq (l->seccomp->syscalls[1]->args[0]->index, 0);
  cr_assert_eq (l->seccomp->syscalls[1]->args[0]->value, UINT64_MAX);
  cr_assert_eq (l->seccomp->syscalls[1]->args[0]->value_two, 255);
  cr_assert_str_eq (l->seccomp->syscalls[1]->args[0]->op, "SCMP_CMP_MASKED_EQ");
  cr_assert_str_eq (l->seccomp->syscalls[2]->action, "SCMP_ACT_NOTIFY");

  /* windows/solaris/vm/zos and the x- keys are unknown: kept, not typed.  */
  cr_assert_not_null (c->_extra);
  cr_assert_null (c->process->_extra);
  cr_assert_not_null (c->mounts[0]->_extra);
  cr_assert_null (c->mounts[1]->_extra);
  oci_config_free (c);
}

Test (fields, state_and_features)
{
  char *err = NULL;
  oci_state *s = oci_state_parse_file (DATA ("state-full.json"), &err);
  oci_features *f;

  cr_assert_not_null (s, "%s", err);
  cr_assert_str_eq (s->oci_version, "1.2.0");
  cr_assert_str_eq (s->id, "ctr-1");
  cr_assert_str_eq (s->status, "running");
  cr_assert (s->pid_present);
  cr_assert_eq (s->pid, 4242);
  cr_assert_str_eq (s->bundle, "/run/bundles/ctr-1");
  cr_assert_str_eq (oci_string_map_get (s->annotations, "a"), "b");
  oci_state_free (s);

  f = oci_features_parse_file (DATA ("features-full.json"), &err);
  cr_assert_not_null (f, "%s", err);
  cr_assert_str_eq (f->oci_version_min, "1.0.0");
  cr_assert_str_eq (f->oci_version_max, "1.2.0");
  cr_assert_eq (f->hooks_len, 6);
  cr_assert_str_eq (f->mount_options[5], "ridmap");
  cr_assert_str_eq (f->linux->namespaces[5], "time");
  cr_assert_str_eq (f->linux->capabilities[1], "CAP_KILL");
  cr_assert (f->linux->cgroup->v1 && f->linux->cgroup->v2 && f->linux->cgroup->systemd);
  cr_assert (f->linux->cgroup->systemd_user_present && !f->linux->cgroup->systemd_user);
  cr_assert (f->linux->cgroup->rdma);
  cr_assert (f->linux->seccomp->enabled);
  cr_assert_str_eq (f->linux->seccomp->actions[1], "SCMP_ACT_NOTIFY");
  cr_assert_str_eq (f->linux->seccomp->operators[1], "SCMP_CMP_MASKED_EQ");
  cr_assert_str_eq (f->linux->seccomp->archs[0], "SCMP_ARCH_X86_64");
  cr_assert_eq (f->linux->seccomp->known_flags_len, 2);
  cr_assert_eq (f->linux->seccomp->supported_flags_len, 1);
  cr_assert (f->linux->apparmor->enabled_present && !f->linux->apparmor->enabled);
  cr_assert (f->linux->selinux->enabled);
  cr_assert (!f->linux->intel_rdt->enabled);
  cr_assert (f->linux->mount_extensions->idmap->enabled);
  cr_assert_str_eq (oci_string_map_get (f->annotations,
                                        "org.opencontainers.runtime-spec.features.skiff"),
                    "yes");
  cr_assert_str_eq (f->potentially_unsafe_config_annotations[1], "run.oci.handler");
  oci_features_free (f);
}

Test (fields, image)
{
  char *err = NULL;
  oci_image_index *idx;
  oci_image_manifest *m;
  oci_image_config *c;
  oci_image_layout *l;
  oci_image_descriptor *d;

  idx = oci_image_index_parse_file (DATA ("image-index-full.json"), &err);
  cr_assert_not_null (idx, "%s", err);
  cr_assert_eq (idx->schema_version, 2);
  cr_assert_str_eq (idx->media_type, "application/vnd.oci.image.index.v1+json");
  cr_assert_str_eq (idx->artifact_type, "application/vnd.example.index");
  cr_assert_eq (idx->manifests_len, 2);
  d = idx->manifests[0];
  cr_assert_eq (d->size, 7682);
  cr_assert_str_eq (d->urls[0], "https://example.com/blob");
  cr_assert_str_eq (d->data, "e30=");
  cr_assert_str_eq (d->artifact_type, "application/vnd.example+type");
  cr_assert_str_eq (oci_string_map_get (d->annotations, "org.opencontainers.image.ref.name"), "v1");
  cr_assert_str_eq (d->platform->architecture, "arm64");
  cr_assert_str_eq (d->platform->os, "linux");
  cr_assert_str_eq (d->platform->os_version, "6.1");
  cr_assert_str_eq (d->platform->os_features[0], "sse4");
  cr_assert_str_eq (d->platform->variant, "v8");
  cr_assert_str_eq (d->platform->features[0], "reserved");
  cr_assert_eq (idx->subject->size, INT64_MAX);
  cr_assert_str_eq (oci_string_map_get (idx->annotations, "com.example.key"), "v");
  oci_image_index_free (idx);

  m = oci_image_manifest_parse_file (DATA ("image-manifest-full.json"), &err);
  cr_assert_not_null (m, "%s", err);
  cr_assert_eq (m->schema_version, 2);
  cr_assert_str_eq (m->artifact_type, "application/vnd.example.sbom");
  cr_assert_str_eq (m->config->media_type, "application/vnd.oci.image.config.v1+json");
  cr_assert_eq (m->layers_len, 2);
  cr_assert_eq (m->layers[1]->size, 0);
  cr_assert_eq (m->subject->size, 1234);
  oci_image_manifest_free (m);

  c = oci_image_config_parse_file (DATA ("image-config-full.json"), &err);
  cr_assert_not_null (c, "%s", err);
  cr_assert_str_eq (c->created, "2024-01-02T03:04:05Z");
  cr_assert_str_eq (c->author, "skiff tests");
  cr_assert_str_eq (c->architecture, "amd64");
  cr_assert_str_eq (c->os, "linux");
  cr_assert_str_eq (c->os_version, "10.0.17763");
  cr_assert_str_eq (c->os_features[0], "win32k");
  cr_assert_str_eq (c->variant, "v3");
  cr_assert_str_eq (c->config->user, "1000:1000");
  cr_assert_eq (c->config->exposed_ports->len, 2);
  cr_assert (oci_string_set_contains (c->config->exposed_ports, "53/udp"));
  cr_assert (oci_string_set_contains (c->config->volumes, "/data"));
  cr_assert_str_eq (c->config->env[0], "PATH=/bin");
  cr_assert_str_eq (c->config->entrypoint[0], "/entry");
  cr_assert_str_eq (c->config->cmd[0], "--help");
  cr_assert_str_eq (c->config->working_dir, "/work");
  cr_assert_str_eq (oci_string_map_get (c->config->labels, "maintainer"), "skiff");
  cr_assert_str_eq (c->config->stop_signal, "SIGTERM");
  cr_assert (c->config->args_escaped && c->config->args_escaped_present);
  cr_assert_str_eq (c->rootfs->type, "layers");
  cr_assert_eq (c->rootfs->diff_ids_len, 2);
  cr_assert_eq (c->history_len, 2);
  cr_assert_str_eq (c->history[0]->created_by, "/bin/sh -c #(nop) ADD file");
  cr_assert_str_eq (c->history[0]->author, "a");
  cr_assert_str_eq (c->history[0]->comment, "c");
  cr_assert (c->history[0]->empty_layer);
  cr_assert (!c->history[1]->empty_layer_present);
  oci_image_config_free (c);

  l = oci_image_layout_parse_file (DATA ("oci-layout-full.json"), &err);
  cr_assert_not_null (l, "%s", err);
  cr_assert_str_eq (l->image_layout_version, "1.0.0");
  oci_image_layout_free (l);
}

/* Documents built in C, not parsed: the "writer" side of the API.  */
Test (generate, built_by_hand)
{
  oci_state *s = calloc (1, sizeof *s);
  char *err = NULL, *json;

  s->oci_version = strdup ("1.2.0");
  s->id = strdup ("x");
  s->status = strdup ("created");
  s->pid = 42;
  s->pid_present = true;
  s->annotations = oci_string_map_new ();
  cr_assert_eq (oci_string_map_set (s->annotations, "k", "v1"), 0);
  cr_assert_eq (oci_string_map_set (s->annotations, "k", "v2"), 0);
  cr_assert_eq (oci_string_map_set (s->annotations, "l", "\"q\"/\n"), 0);
  json = oci_state_generate_json (s, &err);
  cr_assert_not_null (json, "%s", err);
  cr_assert_str_eq (json, "{\"ociVersion\":\"1.2.0\",\"id\":\"x\",\"status\":\"created\","
                          "\"pid\":42,\"annotations\":{\"k\":\"v2\",\"l\":\"\\\"q\\\"/\\n\"}}");
  free (json);
  oci_state_free (s);
}

/* null means absent for known keys; kept verbatim for unknown ones.  */
Test (parse, null_is_absent)
{
  const char *doc = "{\"ociVersion\":\"1.2.0\",\"hostname\":null,\"process\":null,"
                    "\"x\":null,\"linux\":{\"sysctl\":null}}";
  char *err = NULL, *json;
  oci_config *c = oci_config_parse_data (doc, strlen (doc), "null.json", &err);

  cr_assert_not_null (c, "%s", err);
  cr_assert_null (c->hostname);
  cr_assert_null (c->process);
  cr_assert_null (c->linux->sysctl);
  json = oci_config_generate_json (c, &err);
  cr_assert_str_eq (json, "{\"ociVersion\":\"1.2.0\",\"linux\":{},\"x\":null}");
  free (json);
  oci_config_free (c);
}

/* NULL is fine for free and for err.  */
Test (parse, null_err_and_free)
{
  oci_config *c = oci_config_parse_data ("{}", 2, NULL, NULL);
  cr_assert_null (c);
  oci_config_free (NULL);
  oci_string_map_free (NULL);
  oci_string_set_free (NULL);
  oci_rdma_map_free (NULL);
  c = oci_config_parse_data ("{\"ociVersion\":\"1.0.0\"}", 22, NULL, NULL);
  cr_assert_not_null (c);
  oci_config_free (c);
}
