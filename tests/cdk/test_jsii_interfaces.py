"""``jsii_interfaces.implements``: interfaces named by module are imported when jsii first reads a class's
interfaces, and then read exactly as ``jsii.implements`` would have declared them."""

from __future__ import annotations

import sys

import jsii
from aws_cdk import ITaggable
from bedrock_customization.jsii_interfaces import implements


def test_a_named_interface_is_imported_at_the_first_read_not_at_the_class_definition(tmp_path, monkeypatch):
    # GIVEN a module holding an interface, on the path but not imported
    (tmp_path / "lazy_iface_module.py").write_text("class IThing:\n    __jsii_type__ = 'test.IThing'\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "lazy_iface_module", raising=False)

    # WHEN a class declares it next to an interface given as a type
    @implements("lazy_iface_module.IThing", ITaggable)
    class Thing:
        pass

    # THEN defining the class imported nothing
    assert "lazy_iface_module" not in sys.modules
    # and the first read (how jsii reads it: a class attribute) gives both, importing the module
    interfaces = Thing.__jsii_ifaces__  # type: ignore[attr-defined]
    thing_iface = sys.modules["lazy_iface_module"].IThing
    assert interfaces == [ITaggable, thing_iface]
    # jsii's own bookkeeping is there as with jsii.implements
    assert Thing.__jsii_type__ is None  # type: ignore[attr-defined]
    assert Thing.__protocol_attrs__ == []  # type: ignore[attr-defined]


def test_a_subclass_declaring_more_with_jsii_implements_keeps_the_named_ones():
    from aws_cdk import aws_bedrock as bedrock
    from bedrock_customization import CustomModel

    @jsii.implements(ITaggable)
    class Sub(CustomModel):
        pass

    assert bedrock.IModel in Sub.__jsii_ifaces__  # type: ignore[attr-defined]
    assert Sub.__jsii_ifaces__.count(ITaggable) == 2  # type: ignore[attr-defined]  # CustomModel's, then Sub's
    # reading it does not let a caller change the class's list
    CustomModel.__jsii_ifaces__.append(object)  # type: ignore[attr-defined]
    assert object not in CustomModel.__jsii_ifaces__  # type: ignore[attr-defined]
