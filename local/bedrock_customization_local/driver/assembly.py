"""Reading a synthesized cloud assembly (``cdk.out``): stacks, their templates, and where their assets live.

Why from the assembly and not from the source tree: what CloudFormation and Lambda receive is what ``cdk synth``
wrote, so the driver must run *that* (a packaging mistake in the asset has to fail here, not in an account).

Asset directories are found the two ways CDK records them: the ``aws:asset:path`` metadata on the resource (present
unless metadata is disabled) and, failing that, the stack's asset manifest, matching the ``Code.S3Key`` object key.
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import AssemblyError

STACK_ARTIFACT = "aws:cloudformation:stack"
ASSET_MANIFEST_ARTIFACT = "cdk:asset-manifest"


@dataclass(frozen=True)
class StackArtifact:
    """One stack of the assembly: its deploy name, template file and the assembly folder it lives in."""

    artifact_id: str
    stack_name: str
    template_path: Path
    assembly_dir: Path
    asset_manifest_path: Path | None

    @classmethod
    def from_template_file(cls, path: str | Path, stack_name: str) -> StackArtifact:
        """A template written by hand (JSON or YAML), deployed as ``stack_name``: a plain CloudFormation stack, whose
        custom resources import another stack's service token (it has no assets of its own)."""
        path = Path(path).resolve()
        if not path.is_file():
            raise AssemblyError(f"{path}: no such template file")
        return cls(
            artifact_id=stack_name,
            stack_name=stack_name,
            template_path=path,
            assembly_dir=path.parent,
            asset_manifest_path=None,
        )

    def template(self) -> dict[str, Any]:
        """A fresh copy of the template (callers may edit it to build an update)."""
        if self.template_path.suffix == ".json":
            return json.loads(self.template_path.read_text())
        from .template_file import load_template  # YAML: a hand-written template (PyYAML, with the local extra)

        return load_template(self.template_path)

    def asset_dir(self, template: dict[str, Any], logical_id: str, code_property: str = "Code") -> Path:
        """The directory holding the code of resource ``logical_id`` (a Lambda function), as Lambda would unzip it."""
        resource = template.get("Resources", {}).get(logical_id)
        if resource is None:
            raise AssemblyError(f"{self.stack_name}: no resource {logical_id!r} in the template")
        metadata = resource.get("Metadata") or {}
        rel = metadata.get("aws:asset:path")
        if rel and metadata.get("aws:asset:property", code_property) == code_property:
            return self._unpacked(self.assembly_dir / rel, logical_id)
        key = ((resource.get("Properties") or {}).get(code_property) or {}).get("S3Key")
        if isinstance(key, str):
            source = self._source_for_object_key(key)
            if source is not None:
                return self._unpacked(source, logical_id)
        raise AssemblyError(
            f"{self.stack_name}/{logical_id}: cannot find its code asset (no aws:asset:path metadata and no asset "
            f"manifest entry for S3Key {key!r}); synthesize with asset metadata enabled"
        )

    def _source_for_object_key(self, key: str) -> Path | None:
        if self.asset_manifest_path is None or not self.asset_manifest_path.exists():
            return None
        manifest = json.loads(self.asset_manifest_path.read_text())
        for entry in manifest.get("files", {}).values():
            destinations = entry.get("destinations", {}).values()
            if any(d.get("objectKey") == key for d in destinations):
                return self.assembly_dir / entry["source"]["path"]
        return None

    def _unpacked(self, path: Path, logical_id: str) -> Path:
        if path.is_dir():
            return path.resolve()
        if path.is_file() and path.suffix == ".zip":
            target = path.with_suffix(".unzipped")
            if not target.exists():
                with zipfile.ZipFile(path) as archive:
                    archive.extractall(target)
            return target.resolve()
        raise AssemblyError(f"{self.stack_name}/{logical_id}: asset {path} does not exist")


@dataclass(frozen=True)
class CloudAssembly:
    """The ``manifest.json`` of a ``cdk.out`` folder and the stacks it lists."""

    directory: Path
    manifest: dict[str, Any]

    @classmethod
    def load(cls, directory: str | Path) -> CloudAssembly:
        directory = Path(directory).resolve()
        manifest_path = directory / "manifest.json"
        if not manifest_path.exists():
            raise AssemblyError(f"{directory} is not a cloud assembly (no manifest.json); run `cdk synth` first")
        return cls(directory=directory, manifest=json.loads(manifest_path.read_text()))

    def stacks(self) -> list[StackArtifact]:
        artifacts = self.manifest.get("artifacts", {})
        stacks = []
        for artifact_id, artifact in artifacts.items():
            if artifact.get("type") != STACK_ARTIFACT:
                continue
            props = artifact.get("properties", {})
            asset_manifest = None
            for dep in artifact.get("dependencies", []):
                dep_artifact = artifacts.get(dep, {})
                if dep_artifact.get("type") == ASSET_MANIFEST_ARTIFACT:
                    asset_manifest = self.directory / dep_artifact["properties"]["file"]
            stacks.append(
                StackArtifact(
                    artifact_id=artifact_id,
                    stack_name=props.get("stackName", artifact_id),
                    template_path=self.directory / props["templateFile"],
                    assembly_dir=self.directory,
                    asset_manifest_path=asset_manifest,
                )
            )
        return stacks

    def stack(self, name: str | None = None) -> StackArtifact:
        """The stack called ``name`` (deploy name or artifact id), or the only stack when ``name`` is None."""
        stacks = self.stacks()
        if name is None:
            if len(stacks) != 1:
                names = ", ".join(s.stack_name for s in stacks) or "none"
                raise AssemblyError(f"the assembly has {len(stacks)} stacks ({names}); name the one to run")
            return stacks[0]
        for stack in stacks:
            if name in (stack.stack_name, stack.artifact_id):
                return stack
        raise AssemblyError(f"no stack {name!r} in {self.directory}")
