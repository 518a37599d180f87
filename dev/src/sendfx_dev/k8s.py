"""Render a kustomization without the kustomize binary: the part of it that
deploy/k8s/ uses, and nothing else.

``kubectl kustomize --load-restrictor LoadRestrictionsNone deploy/k8s/base``
gives the same objects where kubectl is installed (the manifests test checks
that they agree). Supported: ``resources`` (files or folders with a
kustomization of their own), ``namespace``, ``labels`` (pairs, on the
objects' own metadata only), ``configMapGenerator`` (``files`` and
``literals``) with ``generatorOptions.disableNameSuffixHash``, and
``images`` (``newName``/``newTag`` of a container image). Anything else
in a kustomization is refused, so the loader never quietly differs.
"""

from pathlib import Path
from typing import Any

import yaml

Manifest = dict[str, Any]

_SUPPORTED = {
    "apiVersion",
    "kind",
    "resources",
    "namespace",
    "labels",
    "configMapGenerator",
    "generatorOptions",
    "images",
}
# Kinds that live outside any namespace (those deploy/k8s/ uses).
_CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "PersistentVolume"}


class UnsupportedKustomization(ValueError):
    pass


def render(folder: Path) -> list[Manifest]:
    """The objects ``folder``'s kustomization.yaml builds."""
    spec: dict[str, Any] = yaml.safe_load((folder / "kustomization.yaml").read_text())
    unknown = set(spec) - _SUPPORTED
    if unknown:
        raise UnsupportedKustomization(f"{folder}: {', '.join(sorted(unknown))}")
    hashed = not spec.get("generatorOptions", {}).get("disableNameSuffixHash", False)
    if spec.get("configMapGenerator") and hashed:
        raise UnsupportedKustomization(f"{folder}: generated names need disableNameSuffixHash")
    objects: list[Manifest] = []
    for resource in spec.get("resources", []):
        path = folder / resource
        if path.is_dir():
            objects += render(path)
        else:
            objects += [doc for doc in yaml.safe_load_all(path.read_text()) if doc]
    objects += [_config_map(folder, generator) for generator in spec.get("configMapGenerator", [])]
    for manifest in objects:
        _set_images(manifest, spec.get("images", []))
        for replicas in spec.get("replicas", []):
            if (
                manifest["kind"] == "Deployment"
                and manifest["metadata"]["name"] == replicas["name"]
            ):
                manifest["spec"]["replicas"] = replicas["count"]
        metadata = manifest.setdefault("metadata", {})
        if spec.get("namespace") and manifest["kind"] not in _CLUSTER_SCOPED:
            metadata["namespace"] = spec["namespace"]
        for label in spec.get("labels", []):
            metadata.setdefault("labels", {}).update(label["pairs"])
    return objects


def _set_images(manifest: Manifest, images: list[dict[str, str]]) -> None:
    pod = manifest.get("spec", {}).get("template", {}).get("spec", {})
    for container in pod.get("containers", []):
        name, _, tag = container["image"].partition(":")
        for image in images:
            if image["name"] == name:
                container["image"] = f"{image.get('newName', name)}:{image.get('newTag', tag)}"


def _config_map(folder: Path, generator: dict[str, Any]) -> Manifest:
    data: dict[str, str] = {}
    for item in generator.get("files", []):
        key, _, relative = item.rpartition("=")
        data[key or Path(relative).name] = (folder / relative).read_text()
    for literal in generator.get("literals", []):
        key, _, value = literal.partition("=")
        data[key] = value
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": generator["name"]},
        "data": data,
    }


def dump(objects: list[Manifest]) -> str:
    return yaml.safe_dump_all(objects, sort_keys=False)
