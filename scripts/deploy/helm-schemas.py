#!/usr/bin/env python3
"""Writes kubeconform's JSON schemas from registry sources, never from GitHub.

  helm-schemas.py k8s  SWAGGER_JSON OUT_DIR          # the OpenAPI v2 spec of the k8s.io/kubernetes module
  helm-schemas.py crd  SWAGGER_JSON OUT_DIR CRD...   # CustomResourceDefinition YAML files (KEDA's)

Layout: OUT_DIR/{kind}{suffix}.json with kubeconform's KindSuffix ("-v1" for the core group,
"-apps-v1", "-networking-v1", "-keda-v1alpha1", …), so `-schema-location
'OUT_DIR/{{ .ResourceKind }}{{ .KindSuffix }}.json'` finds them. Every schema is standalone (no
$ref left) and strict: an object that lists its properties gets additionalProperties: false
unless it says otherwise (or preserves unknown fields), as kubectl's validation does, so
`kubeconform -strict` rejects a misspelt or misplaced field. A CRD's empty `metadata` is replaced
by the Kubernetes ObjectMeta schema, which the API server applies to custom resources too.
"""

import json
import os
import sys

# Types whose wire form the v2 spec only names as strings; the API server accepts both forms.
SPECIAL = {
    "io.k8s.apimachinery.pkg.util.intstr.IntOrString": {"oneOf": [{"type": "string"}, {"type": "integer"}]},
    "io.k8s.apimachinery.pkg.api.resource.Quantity": {"oneOf": [{"type": "string"}, {"type": "number"}]},
}
SCHEMA_LIST_KEYWORDS = ("allOf", "anyOf", "oneOf")
DROP = ("description", "x-kubernetes-group-version-kind")


def kind_suffix(group, version):
    """kubeconform's KindSuffix: '-{first label of the group}-{version}', or '-{version}' for core."""
    return f"-{group.split('.')[0].lower()}-{version.lower()}" if group else f"-{version.lower()}"


class Converter:
    def __init__(self, definitions):
        self.definitions = definitions
        self.memo = {}

    def ref(self, name, stack):
        if name in SPECIAL:
            return dict(SPECIAL[name])
        if name in stack:  # a recursive type (e.g. JSONSchemaProps): accept anything below
            return {}
        if name not in self.memo:
            self.memo[name] = self.schema(self.definitions[name], stack + (name,))
        return self.memo[name]

    def schema(self, node, stack=()):
        """Inlines $ref, makes objects strict, and drops documentation, keyword by keyword."""
        if not isinstance(node, dict):
            return node
        if "$ref" in node:
            return self.ref(node["$ref"].rsplit("/", 1)[-1], stack)
        if node.get("format") == "int-or-string" or node.get("x-kubernetes-int-or-string"):
            return dict(SPECIAL["io.k8s.apimachinery.pkg.util.intstr.IntOrString"])
        out = {}
        for key, value in node.items():
            if key in DROP:
                continue
            if key == "properties":
                out[key] = {name: self.schema(sub, stack) for name, sub in value.items()}
            elif key in ("items", "additionalProperties", "not") and isinstance(value, dict):
                out[key] = self.schema(value, stack)
            elif key in SCHEMA_LIST_KEYWORDS or (key == "items" and isinstance(value, list)):
                out[key] = [self.schema(sub, stack) for sub in value]
            else:
                out[key] = value
        if out.pop("nullable", False) and isinstance(out.get("type"), str):
            out["type"] = [out["type"], "null"]
        if (
            "properties" in out
            and "additionalProperties" not in out
            and not out.get("x-kubernetes-preserve-unknown-fields")
        ):
            out["additionalProperties"] = False
        return out


def write(out_dir, kind, group, version, schema):
    path = os.path.join(out_dir, f"{kind.lower()}{kind_suffix(group, version)}.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(schema, f, separators=(",", ":"))  # no $schema: kubeconform compiles as draft 4
    return path


def kubernetes(swagger, out_dir):
    converter = Converter(swagger["definitions"])
    written = 0
    for name, definition in sorted(swagger["definitions"].items()):
        for gvk in definition.get("x-kubernetes-group-version-kind", []):
            write(out_dir, gvk["kind"], gvk["group"], gvk["version"], converter.ref(name, ()))
            written += 1
    return written


def crds(swagger, out_dir, files):
    import yaml  # PyYAML: in the checkov virtualenv (checkov depends on it)

    object_meta = Converter(swagger["definitions"]).ref("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta", ())
    converter = Converter({})
    written = 0
    for file in files:
        with open(file, encoding="utf-8") as f:
            for doc in yaml.safe_load_all(f):
                if not doc or doc.get("kind") != "CustomResourceDefinition":
                    continue
                spec = doc["spec"]
                for version in spec["versions"]:
                    schema = converter.schema(version["schema"]["openAPIV3Schema"])
                    metadata = schema.get("properties", {}).get("metadata")
                    if metadata is not None and "properties" not in metadata:
                        schema["properties"]["metadata"] = object_meta
                    write(out_dir, spec["names"]["kind"], spec["group"], version["name"], schema)
                    written += 1
    if written == 0:
        sys.exit(f"helm-schemas: no CustomResourceDefinition in {' '.join(files)}")
    return written


def main(argv):
    if len(argv) < 4 or argv[1] not in ("k8s", "crd") or (argv[1] == "crd" and len(argv) < 5):
        sys.exit(__doc__)
    mode, swagger_path, out_dir = argv[1], argv[2], argv[3]
    with open(swagger_path, encoding="utf-8") as f:
        swagger = json.load(f)
    os.makedirs(out_dir, exist_ok=True)
    count = kubernetes(swagger, out_dir) if mode == "k8s" else crds(swagger, out_dir, argv[4:])
    print(f"helm-schemas: {count} schemas in {out_dir}", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv)
