#!/usr/bin/env python3
"""skiff libocispec generator.

Reads a type definition file (defs/*.def, format described at the top of
defs/runtime.def) and writes the C header or source implementing, for
every object type T:

    T    *T_parse_file (const char *path, char **err);
    T    *T_parse_data (const char *data, size_t len, const char *name,
                        char **err);
    char *T_generate_json (const T *v, char **err);
    void  T_free (T *v);

Usage: generate.py --header|--source DEFS OUTPUT
Standard library only: it runs during the build.
"""

import argparse
import os
import re
import sys

INTS = {
    # name: (C type, signed, min, max, description)
    "int": ("int", True, "INT_MIN", "INT_MAX", "an integer"),
    "int32": ("int32_t", True, "INT32_MIN", "INT32_MAX", "a 32-bit integer"),
    "int64": ("int64_t", True, "INT64_MIN", "INT64_MAX", "a 64-bit integer"),
    "uint16": ("uint16_t", False, None, "UINT16_MAX",
               "an unsigned 16-bit integer"),
    "uint32": ("uint32_t", False, None, "UINT32_MAX",
               "an unsigned 32-bit integer"),
    "uint64": ("uint64_t", False, None, "UINT64_MAX",
               "an unsigned 64-bit integer"),
}


class DefError(Exception):
    pass


def snake(name):
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", s)
    return re.sub(r"[^A-Za-z0-9_]", "_", s).lower()


def parse_type(text, where):
    """'string' -> ('string',), '[T]' -> ('array', T), '{T}' -> ('map', T),
    'set' -> ('set',), ints -> ('int', name), NAME -> ('object', NAME)."""
    if text.startswith("[") and text.endswith("]"):
        inner = parse_type(text[1:-1], where)
        if inner[0] not in ("string", "int", "object"):
            raise DefError("%s: unsupported array element %s" % (where, text))
        return ("array", inner)
    if text.startswith("{") and text.endswith("}"):
        inner = parse_type(text[1:-1], where)
        if inner[0] not in ("string", "object"):
            raise DefError("%s: unsupported map value %s" % (where, text))
        return ("map", inner)
    if text in ("string", "bool", "set"):
        return (text,)
    if text in INTS:
        return ("int", text)
    if re.fullmatch(r"[a-z][a-z0-9_]*", text):
        return ("object", text)
    raise DefError("%s: bad type %r" % (where, text))


# Named string formats: FORMAT -> C checker in ocispec/convert.c.
FORMATS = {
    "semver": "oci_check_semver",
    "pagesize": "oci_check_pagesize",
    "devaccess": "oci_check_devaccess",
}


class Field:
    def __init__(self, key, typ, required, cname, doc):
        self.key = key
        self.type = typ
        self.required = required
        self.cname = cname
        self.doc = doc
        # Constraints (see the top of defs/runtime.def).
        self.min = None
        self.max = None
        self.enum = None
        self.absolute = False
        self.format = None
        self.unique = None
        self.nonempty_keys = False

    def string_checks(self):
        return self.enum is not None or self.absolute or self.format


class Type:
    def __init__(self, name, doc):
        self.name = name
        self.doc = doc
        self.fields = []
        self.rules = []  # (kind, field A, field B, [values])


def read_defs(path):
    prefix = "oci_"
    types = []
    cur = None
    with open(path, encoding="utf-8") as f:
        for lineno, raw in enumerate(f, 1):
            where = "%s:%d" % (path, lineno)
            line, _, doc = raw.rstrip("\n").partition("#")
            doc = doc.strip()
            if not line.strip():
                continue
            words = line.split()
            if not line[0].isspace():
                if words[0] == "prefix" and len(words) == 2:
                    prefix = words[1]
                elif words[0] == "type" and len(words) == 2:
                    cur = Type(words[1], doc)
                    types.append(cur)
                else:
                    raise DefError("%s: expected 'type NAME'" % where)
                continue
            if cur is None or len(words) < 2:
                raise DefError("%s: field outside a type" % where)
            if words[0].startswith("@"):
                cur.rules.append(read_rule(words, where))
                continue
            key, typ, rest = words[0], parse_type(words[1], where), words[2:]
            fl = Field(key, typ, False, snake(key), doc)
            for w in rest:
                read_attribute(fl, w, where)
            if any(x.key == key for x in cur.fields):
                raise DefError("%s: duplicate key %s" % (where, key))
            cur.fields.append(fl)
    by_name = {t.name: t for t in types}
    for t in types:
        for fl in t.fields:
            inner = fl.type[1] if fl.type[0] in ("array", "map") else fl.type
            if inner[0] == "object" and inner[1] not in by_name:
                raise DefError("%s: %s.%s: unknown type %s"
                               % (path, t.name, fl.key, inner[1]))
            if fl.unique is not None:
                keyf = [x for x in by_name[inner[1]].fields
                        if x.key == fl.unique and x.type == ("string",)]
                if not keyf:
                    raise DefError("%s: %s.%s: unique=%s is not a string field"
                                   " of %s" % (path, t.name, fl.key,
                                               fl.unique, inner[1]))
                fl.unique_cname = keyf[0].cname
        keys = {fl.key: fl for fl in t.fields}
        for kind, a, b, values in t.rules:
            if a not in keys or b not in keys:
                raise DefError("%s: %s: rule @%s %s %s: unknown field"
                               % (path, t.name, kind, a, b))
            if values and keys[b].type != ("string",):
                raise DefError("%s: %s: @%s: %s is not a string"
                               % (path, t.name, kind, b))
    return prefix, types


def read_attribute(fl, w, where):
    """One attribute word of a field line: required, cname=, or one of the
    constraints the generated parser checks."""
    t = fl.type
    elem = t[1] if t[0] == "array" else t
    name, eq, val = w.partition("=")
    if w == "required":
        fl.required = True
    elif name == "cname" and eq:
        fl.cname = val
    elif name in ("min", "max") and eq:
        if elem[0] != "int" or not INTS[elem[1]][1]:
            raise DefError("%s: %s needs a signed integer" % (where, name))
        setattr(fl, name, int(val))
    elif name == "enum" and eq and elem == ("string",):
        fl.enum = val.split("|")
    elif w == "absolute" and elem == ("string",):
        fl.absolute = True
    elif name == "format" and eq and elem == ("string",):
        if val not in FORMATS:
            raise DefError("%s: unknown format %r" % (where, val))
        fl.format = val
    elif name == "unique" and eq and t[0] == "array" and elem[0] == "object":
        fl.unique = val
    elif w == "nonempty-keys" and t == ("map", ("string",)):
        fl.nonempty_keys = True
    else:
        raise DefError("%s: unknown or misplaced attribute %r" % (where, w))


def read_rule(words, where):
    """@needs A B: A only with B.  @together A B: both or neither.
    @only A B=v1|v2: A only when string B is one of the values.
    @required-unless A B=v1|v2: A required unless string B is one of them."""
    kind = words[0][1:]
    if kind in ("needs", "together") and len(words) == 3:
        return (kind, words[1], words[2], None)
    if kind in ("only", "required-unless") and len(words) == 3 and "=" in words[2]:
        b, _, vals = words[2].partition("=")
        return (kind, words[1], b, vals.split("|"))
    raise DefError("%s: bad rule %s" % (where, " ".join(words)))


def cstr(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


class Gen:
    def __init__(self, prefix, types, base):
        self.p = prefix
        self.types = types
        self.base = base
        self.map_types = []
        for t in types:
            for fl in t.fields:
                if fl.type[0] == "map" and fl.type[1][0] == "object":
                    if fl.type[1][1] not in self.map_types:
                        self.map_types.append(fl.type[1][1])
        self.out = []

    def w(self, s=""):
        self.out.append(s)

    def T(self, name):
        return self.p + name

    # ---------------------------------------------------------- header
    def header(self):
        guard = "OCISPEC_%s_H" % self.base.upper()
        w = self.w
        w("/* Generated by libocispec/generate.py from defs/%s.def - do not edit."
          % self.base)
        w(" *")
        w(" * For every type T below:")
        w(" *   T    *T_parse_file (const char *path, char **err);")
        w(" *   T    *T_parse_data (const char *data, size_t len, const char *name,")
        w(" *                       char **err);")
        w(" *   char *T_generate_json (const T *v, char **err);  compact JSON")
        w(" *   void  T_free (T *v);                             NULL-safe")
        w(" * Failures return NULL and set *err (malloc'd, may be NULL) to one line:")
        w(' * "NAME: JSON.path: problem" or "NAME: line N: problem".')
        w(" * Field conventions (presence flags, arrays, maps, unknown keys): see")
        w(" * ocispec/common.h.  */")
        w()
        w("#ifndef %s" % guard)
        w("#define %s" % guard)
        w()
        w("#include <stdbool.h>")
        w("#include <stddef.h>")
        w("#include <stdint.h>")
        w()
        w('#include "ocispec/common.h"')
        w()
        w("#ifdef __cplusplus")
        w('extern "C" {')
        w("#endif")
        w()
        for t in self.types:
            w("typedef struct %s %s;" % (self.T(t.name), self.T(t.name)))
        w()
        for m in self.map_types:
            T = self.T(m)
            w("/* Object used as a map of string -> %s, in document order.  */"
              % T)
            w("typedef struct")
            w("{")
            w("  char **keys;")
            w("  %s **values;" % T)
            w("  size_t len;")
            w("} %s_map;" % T)
            w("void %s_map_free (%s_map *m);" % (T, T))
            w("const %s *%s_map_get (const %s_map *m, const char *key);"
              % (T, T, T))
            w()
        for t in self.types:
            if t.doc:
                w("/* %s */" % t.doc)
            w("struct %s" % self.T(t.name))
            w("{")
            for fl in t.fields:
                self.header_field(fl)
            w("  struct oci_extra *_extra; /* unknown keys, kept verbatim */")
            w("};")
            w()
        for t in self.types:
            T = self.T(t.name)
            w("%s *%s_parse_file (const char *path, char **err);" % (T, T))
            w("%s *%s_parse_data (const char *data, size_t len, "
              "const char *name, char **err);" % (T, T))
            w("char *%s_generate_json (const %s *v, char **err);" % (T, T))
            w("void %s_free (%s *v);" % (T, T))
            w()
        w("#ifdef __cplusplus")
        w("}")
        w("#endif")
        w()
        w("#endif")

    def header_field(self, fl):
        t, n = fl.type, fl.cname
        doc = ""
        notes = []
        if fl.required:
            notes.append("required")
        if fl.doc:
            notes.append(fl.doc)
        if notes or snake(fl.key) != fl.key:
            doc = " /* %s%s */" % (
                cstr(fl.key) if n != fl.key else "",
                (": " if n != fl.key and notes else "") + ", ".join(notes))
        lines = []
        if t[0] == "string":
            lines.append("char *%s;" % n)
        elif t[0] == "bool":
            lines.append("bool %s;" % n)
        elif t[0] == "int":
            lines.append("%s %s;" % (INTS[t[1]][0], n))
        elif t[0] == "set":
            lines.append("oci_string_set *%s;" % n)
        elif t[0] == "object":
            lines.append("%s *%s;" % (self.T(t[1]), n))
        elif t[0] == "map":
            if t[1][0] == "string":
                lines.append("oci_string_map *%s;" % n)
            else:
                lines.append("%s_map *%s;" % (self.T(t[1][1]), n))
        elif t[0] == "array":
            e = t[1]
            if e[0] == "string":
                lines.append("char **%s;" % n)
            elif e[0] == "int":
                lines.append("%s *%s;" % (INTS[e[1]][0], n))
            else:
                lines.append("%s **%s;" % (self.T(e[1]), n))
            lines.append("size_t %s_len;" % n)
        if t[0] in ("bool", "int") and not fl.required:
            lines.append("bool %s_present;" % n)
        lines[0] += doc
        for ln in lines:
            self.w("  " + ln)

    # ---------------------------------------------------------- source
    def source(self):
        w = self.w
        w("/* Generated by libocispec/generate.py - do not edit.  */")
        w()
        w("#include <limits.h>")
        w("#include <stddef.h>")
        w("#include <stdlib.h>")
        w("#include <string.h>")
        w()
        w('#include "ocispec/%s.h"' % self.base)
        w('#include "ocispec/internal.h"')
        w()
        for t in self.types:
            T = self.T(t.name)
            w("static int %s_conv (oci_ctx *c, const oci_path *p, oci_json *v, "
              "%s **out);" % (T, T))
            w("static void %s_gen (oci_gen *g, const oci_path *p, "
              "const %s *v);" % (T, T))
        w()
        for t in self.types:
            for fl in t.fields:
                if fl.enum is not None:
                    w("static const char *const %s = { %s, NULL };"
                      % (self.enum_name(t, fl) + "[]",
                         ", ".join(cstr(x) for x in fl.enum)))
        w()
        for m in self.map_types:
            self.map_funcs(m)
        for t in self.types:
            self.free_func(t)
            self.conv_func(t)
            self.gen_func(t)
            self.public_funcs(t)

    def map_funcs(self, m):
        T = self.T(m)
        w = self.w
        w("void")
        w("%s_map_free (%s_map *m)" % (T, T))
        w("{")
        w("  size_t i;")
        w()
        w("  if (m == NULL)")
        w("    return;")
        w("  for (i = 0; i < m->len; i++)")
        w("    {")
        w("      free (m->keys[i]);")
        w("      %s_free (m->values[i]);" % T)
        w("    }")
        w("  free (m->keys);")
        w("  free (m->values);")
        w("  free (m);")
        w("}")
        w()
        w("const %s *" % T)
        w("%s_map_get (const %s_map *m, const char *key)" % (T, T))
        w("{")
        w("  size_t i;")
        w()
        w("  if (m == NULL || key == NULL)")
        w("    return NULL;")
        w("  for (i = 0; i < m->len; i++)")
        w("    if (strcmp (m->keys[i], key) == 0)")
        w("      return m->values[i];")
        w("  return NULL;")
        w("}")
        w()
        w("static int")
        w("%s_map_conv (oci_ctx *c, const oci_path *p, oci_json *v, "
          "%s_map **out)" % (T, T))
        w("{")
        w("  %s_map *m;" % T)
        w("  size_t i;")
        w()
        w("  if (v->type != OCI_JSON_OBJECT)")
        w('    return oci_fail_type (c, p, "an object", v);')
        w("  m = calloc (1, sizeof *m);")
        w("  if (m == NULL)")
        w('    return oci_fail (c, p, "out of memory");')
        w("  m->keys = calloc (v->len ? v->len : 1, sizeof *m->keys);")
        w("  m->values = calloc (v->len ? v->len : 1, sizeof *m->values);")
        w("  if (m->keys == NULL || m->values == NULL)")
        w("    {")
        w("      %s_map_free (m);" % T)
        w('      return oci_fail (c, p, "out of memory");')
        w("    }")
        w("  for (i = 0; i < v->len; i++)")
        w("    {")
        w("      oci_path kp = { p, v->keys[i], 0 };")
        w("      m->len = i + 1;")
        w("      if (%s_conv (c, &kp, v->items[i], &m->values[i]) < 0)" % T)
        w("        {")
        w("          %s_map_free (m);" % T)
        w("          return -1;")
        w("        }")
        w("      m->keys[i] = oci_json_take_key (v, i);")
        w("      if (m->keys[i] == NULL)")
        w("        {")
        w("          %s_map_free (m);" % T)
        w('          return oci_fail (c, p, "out of memory");')
        w("        }")
        w("    }")
        w("  *out = m;")
        w("  return 0;")
        w("}")
        w()
        w("static void")
        w("%s_map_gen (oci_gen *g, const oci_path *p, const %s_map *m)"
          % (T, T))
        w("{")
        w("  size_t i;")
        w()
        w("  oci_gen_map_open (g);")
        w("  for (i = 0; i < m->len; i++)")
        w("    {")
        w("      oci_path kp = { p, m->keys[i], 0 };")
        w("      if (m->keys[i] == NULL || m->values[i] == NULL)")
        w("        {")
        w('          oci_gen_fail (g, p, "NULL key or value in map");')
        w("          break;")
        w("        }")
        w("      oci_gen_str (g, &kp, m->keys[i]);")
        w("      %s_gen (g, &kp, m->values[i]);" % T)
        w("    }")
        w("  oci_gen_map_close (g);")
        w("}")
        w()

    def free_func(self, t):
        T = self.T(t.name)
        w = self.w
        need_i = any(fl.type[0] == "array" and fl.type[1][0] == "object"
                     for fl in t.fields)
        w("void")
        w("%s_free (%s *v)" % (T, T))
        w("{")
        if need_i:
            w("  size_t i;")
            w()
        w("  if (v == NULL)")
        w("    return;")
        for fl in t.fields:
            n, ty = fl.cname, fl.type
            if ty[0] == "string":
                w("  free (v->%s);" % n)
            elif ty[0] == "set":
                w("  oci_string_set_free (v->%s);" % n)
            elif ty[0] == "object":
                w("  %s_free (v->%s);" % (self.T(ty[1]), n))
            elif ty[0] == "map":
                if ty[1][0] == "string":
                    w("  oci_string_map_free (v->%s);" % n)
                else:
                    w("  %s_map_free (v->%s);" % (self.T(ty[1][1]), n))
            elif ty[0] == "array":
                e = ty[1]
                if e[0] == "string":
                    w("  oci_str_array_free (v->%s, v->%s_len);" % (n, n))
                elif e[0] == "int":
                    w("  free (v->%s);" % n)
                else:
                    w("  if (v->%s != NULL)" % n)
                    w("    for (i = 0; i < v->%s_len; i++)" % n)
                    w("      %s_free (v->%s[i]);" % (self.T(e[1]), n))
                    w("  free (v->%s);" % n)
        w("  oci_extra_free (v->_extra);")
        w("  free (v);")
        w("}")
        w()

    def enum_name(self, t, fl):
        return "%s_%s_enum" % (self.T(t.name), fl.cname)

    def str_checks(self, t, fl, src, path, ind):
        """Enum, absolute path and format checks of the string SRC."""
        w = self.w
        if fl.enum is not None:
            w(ind + "if (oci_check_enum (c, %s, %s, %s) < 0)"
              % (path, src, self.enum_name(t, fl)))
            w(ind + "  goto fail;")
        if fl.absolute:
            w(ind + "if (oci_check_absolute (c, %s, %s) < 0)" % (path, src))
            w(ind + "  goto fail;")
        if fl.format:
            w(ind + "if (%s (c, %s, %s) < 0)" % (FORMATS[fl.format], path, src))
            w(ind + "  goto fail;")

    def range_check(self, fl, src, path, ind):
        if fl.min is None and fl.max is None:
            return
        lo = "INT64_MIN" if fl.min is None else "INT64_C (%d)" % fl.min
        hi = "INT64_MAX" if fl.max is None else "INT64_C (%d)" % fl.max
        self.w(ind + "if (oci_check_range (c, %s, (int64_t) %s, %s, %s) < 0)"
               % (path, src, lo, hi))
        self.w(ind + "  goto fail;")

    def field_checks(self, t, fl, ind):
        """The constraints of FL on the converted r->FIELD (path cp)."""
        w = self.w
        ty, dst = fl.type, "r->" + fl.cname
        if ty[0] == "string" and fl.string_checks():
            self.str_checks(t, fl, dst, "&cp", ind)
        elif ty[0] == "int":
            self.range_check(fl, dst, "&cp", ind)
        elif ty == ("array", ("string",)) and fl.string_checks():
            w(ind + "for (size_t j = 0; j < %s_len; j++)" % dst)
            w(ind + "  {")
            w(ind + "    oci_path ip = { &cp, NULL, j };")
            self.str_checks(t, fl, "%s[j]" % dst, "&ip", ind + "    ")
            w(ind + "  }")
        elif ty[0] == "array" and fl.unique is not None:
            w(ind + "if (oci_check_unique (c, &cp, (void *const *) %s, %s_len,"
              % (dst, dst))
            w(ind + "                      offsetof (%s, %s), %s) < 0)"
              % (self.T(ty[1][1]), fl.unique_cname, cstr(fl.unique)))
            w(ind + "  goto fail;")
        elif ty[0] == "map" and fl.nonempty_keys:
            w(ind + "if (oci_check_map_keys (c, &cp, %s) < 0)" % dst)
            w(ind + "  goto fail;")

    def present(self, fl):
        if fl.type[0] in ("bool", "int"):
            return ("have_%s" if fl.required else "r->%s_present") % fl.cname
        return "r->%s != NULL" % fl.cname

    def rule_checks(self, t):
        w = self.w
        keys = {fl.key: fl for fl in t.fields}
        for kind, a, b, values in t.rules:
            fa, fb = keys[a], keys[b]
            if values:
                cond = " || ".join("strcmp (r->%s, %s) == 0" % (fb.cname, cstr(x))
                                   for x in values)
                one_of = "r->%s != NULL && (%s)" % (fb.cname, cond)
            if kind == "only":
                w("  if (%s && ! (%s))" % (self.present(fa), one_of))
                msg = "only valid when %s is %s" % (b, " or ".join(values))
                self.rule_fail(a, msg)
                continue
            if kind == "required-unless":
                w("  if (! (%s) && ! (%s))" % (self.present(fa), one_of))
                msg = "required field missing (unless %s is %s)" % (
                    b, " or ".join(values))
                self.rule_fail(a, msg)
                continue
            w("  if (%s && ! (%s))" % (self.present(fa), self.present(fb)))
            self.rule_fail(a, "needs %s%s" % (b, " too" if kind == "together"
                                               else ""))
            if kind == "together":
                w("  if (%s && ! (%s))" % (self.present(fb), self.present(fa)))
                self.rule_fail(b, "needs %s too" % a)

    def rule_fail(self, key, msg):
        w = self.w
        w("    {")
        w("      oci_path mp = { p, %s, 0 };" % cstr(key))
        w("      oci_fail (c, &mp, %s);" % cstr(msg.replace("%", "%%")))
        w("      goto fail;")
        w("    }")

    def int_conv(self, kind, src, dst, path, ind):
        ctype, signed, lo, hi, what = INTS[kind]
        w = self.w
        w(ind + "{")
        if signed:
            w(ind + "  int64_t t;")
            w()
            w(ind + "  if (oci_conv_i64 (c, %s, %s, %s, %s, %s, &t) < 0)"
              % (path, src, lo, hi, cstr(what)))
        else:
            w(ind + "  uint64_t t;")
            w()
            w(ind + "  if (oci_conv_u64 (c, %s, %s, %s, %s, &t) < 0)"
              % (path, src, hi, cstr(what)))
        w(ind + "    goto fail;")
        w(ind + "  %s = (%s) t;" % (dst, ctype))
        w(ind + "}")

    def conv_func(self, t):
        T = self.T(t.name)
        w = self.w
        w("static int")
        w("%s_conv (oci_ctx *c, const oci_path *p, oci_json *v, %s **out)"
          % (T, T))
        w("{")
        w("  %s *r;" % T)
        w("  size_t i;")
        req_scalars = [fl for fl in t.fields
                       if fl.required and fl.type[0] in ("bool", "int")]
        for fl in req_scalars:
            w("  bool have_%s = false;" % fl.cname)
        w()
        w("  if (v->type != OCI_JSON_OBJECT)")
        w('    return oci_fail_type (c, p, "an object", v);')
        w("  r = calloc (1, sizeof *r);")
        w("  if (r == NULL)")
        w('    return oci_fail (c, p, "out of memory");')
        w("  for (i = 0; i < v->len; i++)")
        w("    {")
        w("      const char *k = v->keys[i];")
        w("      oci_json *m = v->items[i];")
        w("      oci_path cp = { p, k, 0 };")
        w()
        first = True
        for fl in t.fields:
            w("      %sif (strcmp (k, %s) == 0)"
              % ("" if first else "else ", cstr(fl.key)))
            first = False
            w("        {")
            w("          if (m->type == OCI_JSON_NULL)")
            w("            continue; /* null means absent */")
            self.conv_field(fl, "          ")
            self.field_checks(t, fl, "          ")
            w("        }")
        if t.fields:
            w("      else if (oci_extra_take (c, &r->_extra, v, i) < 0)")
        else:
            w("      if (oci_extra_take (c, &r->_extra, v, i) < 0)")
        w("        goto fail;")
        w("    }")
        for fl in t.fields:
            if not fl.required:
                continue
            if fl.type[0] in ("bool", "int"):
                cond = "!have_%s" % fl.cname
            else:
                cond = "r->%s == NULL" % fl.cname
            w("  if (%s)" % cond)
            w("    {")
            w("      oci_path mp = { p, %s, 0 };" % cstr(fl.key))
            w('      oci_fail (c, &mp, "required field missing");')
            w("      goto fail;")
            w("    }")
        self.rule_checks(t)
        w("  *out = r;")
        w("  return 0;")
        w()
        w(" fail:")
        w("  %s_free (r);" % T)
        w("  return -1;")
        w("}")
        w()

    def conv_field(self, fl, ind):
        w = self.w
        n, ty = fl.cname, fl.type
        dst = "r->" + n
        if ty[0] == "string":
            w(ind + "if (oci_conv_str (c, &cp, m, &%s) < 0)" % dst)
            w(ind + "  goto fail;")
        elif ty[0] == "bool":
            w(ind + "if (oci_conv_bool (c, &cp, m, &%s) < 0)" % dst)
            w(ind + "  goto fail;")
        elif ty[0] == "int":
            self.int_conv(ty[1], "m", dst, "&cp", ind)
        elif ty[0] == "set":
            w(ind + "if (oci_conv_str_set (c, &cp, m, &%s) < 0)" % dst)
            w(ind + "  goto fail;")
        elif ty[0] == "object":
            w(ind + "if (%s_conv (c, &cp, m, &%s) < 0)" % (self.T(ty[1]), dst))
            w(ind + "  goto fail;")
        elif ty[0] == "map":
            if ty[1][0] == "string":
                w(ind + "if (oci_conv_str_map (c, &cp, m, &%s) < 0)" % dst)
            else:
                w(ind + "if (%s_map_conv (c, &cp, m, &%s) < 0)"
                  % (self.T(ty[1][1]), dst))
            w(ind + "  goto fail;")
        elif ty[0] == "array":
            e = ty[1]
            if e[0] == "string":
                w(ind + "if (oci_conv_str_array (c, &cp, m, &%s, &%s_len) < 0)"
                  % (dst, dst))
                w(ind + "  goto fail;")
            else:
                w(ind + "if (m->type != OCI_JSON_ARRAY)")
                w(ind + "  {")
                w(ind + '    oci_fail_type (c, &cp, "an array", m);')
                w(ind + "    goto fail;")
                w(ind + "  }")
                w(ind + "/* never NULL, even for []: presence is != NULL */")
                w(ind + "%s = calloc (m->len ? m->len : 1, sizeof *%s);"
                  % (dst, dst))
                w(ind + "if (%s == NULL)" % dst)
                w(ind + "  {")
                w(ind + '    oci_fail (c, &cp, "out of memory");')
                w(ind + "    goto fail;")
                w(ind + "  }")
                w(ind + "for (size_t j = 0; j < m->len; j++)")
                w(ind + "  {")
                w(ind + "    oci_path ip = { &cp, NULL, j };")
                if e[0] == "int":
                    self.int_conv(e[1], "m->items[j]", "%s[j]" % dst, "&ip",
                                  ind + "    ")
                    self.range_check(fl, "%s[j]" % dst, "&ip", ind + "    ")
                    w(ind + "    %s_len = j + 1;" % dst)
                else:
                    w(ind + "    %s_len = j + 1;" % dst)
                    w(ind + "    if (%s_conv (c, &ip, m->items[j], &%s[j]) < 0)"
                      % (self.T(e[1]), dst))
                    w(ind + "      goto fail;")
                w(ind + "  }")
        if ty[0] in ("bool", "int"):
            if fl.required:
                w(ind + "have_%s = true;" % n)
            else:
                w(ind + "%s_present = true;" % dst)

    def gen_func(self, t):
        T = self.T(t.name)
        w = self.w
        w("static void")
        w("%s_gen (oci_gen *g, const oci_path *p, const %s *v)" % (T, T))
        w("{")
        need_i = any(fl.type[0] == "array" and fl.type[1][0] != "string"
                     for fl in t.fields)
        if need_i:
            w("  size_t i;")
            w()
        w("  (void) p; /* unused when all members are scalars */")
        w("  oci_gen_map_open (g);")
        for fl in t.fields:
            self.gen_field(fl)
        w("  oci_gen_extra (g, v->_extra);")
        w("  oci_gen_map_close (g);")
        w("}")
        w()

    def gen_field(self, fl):
        w = self.w
        n, ty, key = fl.cname, fl.type, cstr(fl.key)
        src = "v->" + n
        scalar = ty[0] in ("bool", "int") or (
            ty[0] == "array" and ty[1][0] == "int")
        w("  {")
        if not scalar or fl.required:
            w("    oci_path cp = { p, %s, 0 };" % key)
            w()
        if ty[0] in ("bool", "int"):
            cond = "true" if fl.required else "%s_present" % src
        else:
            cond = "%s != NULL" % src
        ind = "    "
        if cond != "true":
            w("    if (%s)" % cond)
            w("      {")
            ind = "        "
        elif scalar:
            w("    (void) cp; /* only used for errors */")
        w(ind + "oci_gen_keyn (g, %s, %d);" % (key, len(fl.key.encode())))
        if ty[0] == "string":
            w(ind + "oci_gen_str (g, &cp, %s);" % src)
        elif ty[0] == "bool":
            w(ind + "oci_gen_bool (g, %s);" % src)
        elif ty[0] == "int":
            w(ind + self.int_gen(ty[1], src))
        elif ty[0] == "set":
            w(ind + "oci_gen_str_set (g, &cp, %s);" % src)
        elif ty[0] == "object":
            w(ind + "%s_gen (g, &cp, %s);" % (self.T(ty[1]), src))
        elif ty[0] == "map":
            if ty[1][0] == "string":
                w(ind + "oci_gen_str_map (g, &cp, %s);" % src)
            else:
                w(ind + "%s_map_gen (g, &cp, %s);" % (self.T(ty[1][1]), src))
        elif ty[0] == "array":
            e = ty[1]
            if e[0] == "string":
                w(ind + "oci_gen_str_array (g, &cp, %s, %s_len);" % (src, src))
            else:
                w(ind + "oci_gen_array_open (g);")
                w(ind + "for (i = 0; i < %s_len; i++)" % src)
                if e[0] == "int":
                    w(ind + "  " + self.int_gen(e[1], "%s[i]" % src))
                else:
                    w(ind + "  {")
                    w(ind + "    oci_path ip = { &cp, NULL, i };")
                    w(ind + "    if (%s[i] == NULL)" % src)
                    w(ind + '      oci_gen_fail (g, &ip, "NULL array element");')
                    w(ind + "    else")
                    w(ind + "      %s_gen (g, &ip, %s[i]);"
                      % (self.T(e[1]), src))
                    w(ind + "  }")
                w(ind + "oci_gen_array_close (g);")
        if cond != "true":
            w("      }")
            if fl.required:
                w("    else")
                w('      oci_gen_fail (g, &cp, "required field missing");')
        w("  }")

    @staticmethod
    def int_gen(kind, src):
        if INTS[kind][1]:
            return "oci_gen_int (g, (int64_t) %s);" % src
        return "oci_gen_uint (g, (uint64_t) %s);" % src

    def public_funcs(self, t):
        T = self.T(t.name)
        w = self.w
        w("static int")
        w("%s_conv_any (oci_ctx *c, const oci_path *p, oci_json *v, "
          "void **out)" % T)
        w("{")
        w("  %s *r = NULL;" % T)
        w("  int ret = %s_conv (c, p, v, &r);" % T)
        w()
        w("  *out = r;")
        w("  return ret;")
        w("}")
        w()
        w("static void")
        w("%s_gen_any (oci_gen *g, const void *v)" % T)
        w("{")
        w("  %s_gen (g, NULL, v);" % T)
        w("}")
        w()
        w("%s *" % T)
        w("%s_parse_data (const char *data, size_t len, const char *name, "
          "char **err)" % T)
        w("{")
        w("  return oci_parse_data (data, len, name, err, %s_conv_any);" % T)
        w("}")
        w()
        w("%s *" % T)
        w("%s_parse_file (const char *path, char **err)" % T)
        w("{")
        w("  return oci_parse_file (path, err, %s_conv_any);" % T)
        w("}")
        w()
        w("char *")
        w("%s_generate_json (const %s *v, char **err)" % (T, T))
        w("{")
        w("  return oci_generate (v, err, %s_gen_any);" % T)
        w("}")
        w()


def check_coverage(types, samples):
    """Test helper: list the defined keys that no sample document sets, so
    the full-coverage samples under tests/data stay complete."""
    import json
    by_name = {t.name: t for t in types}
    seen = set()
    reachable = set()

    def walk(tname, doc):
        reachable.add(tname)
        if not isinstance(doc, dict):
            return
        for fl in by_name[tname].fields:
            if fl.key not in doc or doc[fl.key] is None:
                continue
            seen.add((tname, fl.key))
            val, ty = doc[fl.key], fl.type
            if ty[0] == "object":
                walk(ty[1], val)
            elif ty[0] == "array" and ty[1][0] == "object":
                for item in val:
                    walk(ty[1][1], item)
            elif ty[0] == "map" and ty[1][0] == "object":
                for item in val.values():
                    walk(ty[1][1], item)

    for tname, path in samples:
        with open(path, encoding="utf-8") as f:
            walk(tname, json.load(f))
    missing = ["%s.%s" % (t, fl.key) for t in sorted(reachable)
               for fl in by_name[t].fields if (t, fl.key) not in seen]
    unreached = sorted(set(by_name) - reachable)
    return missing, unreached


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    mode = ap.add_mutually_exclusive_group(required=True)
    mode.add_argument("--header", action="store_true")
    mode.add_argument("--source", action="store_true")
    mode.add_argument("--check-coverage", action="store_true",
                      help="OUTPUT... are TYPE=SAMPLE.json pairs")
    ap.add_argument("defs")
    ap.add_argument("output", nargs="+")
    a = ap.parse_args()
    try:
        prefix, types = read_defs(a.defs)
    except (DefError, OSError) as e:
        sys.exit("generate.py: %s" % e)
    if a.check_coverage:
        missing, unreached = check_coverage(
            types, [x.split("=", 1) for x in a.output])
        for m in missing:
            print("not covered by the samples: %s" % m)
        for u in unreached:
            print("type not reached by the samples: %s" % u)
        sys.exit(1 if missing or unreached else 0)
    if len(a.output) != 1:
        sys.exit("generate.py: one OUTPUT expected")
    a.output = a.output[0]
    base = os.path.splitext(os.path.basename(a.output))[0]
    g = Gen(prefix, types, base)
    if a.header:
        g.header()
    else:
        g.source()
    # Write atomically so an interrupted build never leaves half a file.
    tmp = a.output + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write("\n".join(g.out) + "\n")
    os.replace(tmp, a.output)


if __name__ == "__main__":
    main()
