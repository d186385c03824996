"""Hand-written templates: YAML with CloudFormation's short forms reads as the long forms CloudFormation uses, and a
file that is not a template says so."""

from __future__ import annotations

import pytest
from bedrock_customization_local.driver.assembly import StackArtifact
from bedrock_customization_local.driver.errors import DriverError
from bedrock_customization_local.driver.template_file import load_template

YAML = """
Resources:
  A:
    Type: Custom::Thing
    Properties:
      Ref: !Ref B
      Att: !GetAtt B.Outputs.Value
      AttList: !GetAtt [B, Arn]
      Sub: !Sub "${AWS::StackName}-x"
      SubList: !Sub ["${x}", {x: !Ref B}]
      Import: !ImportValue {"Fn::Sub": "${AWS::StackName}-Token"}
      Joined: !Join ["", [a, !Select [0, !Split [",", "b,c"]]]]
      When: !If [IsProd, !Base64 text, !Ref "AWS::NoValue"]
  B:
    Type: AWS::SNS::Topic
Conditions:
  IsProd: !And [!Equals [a, a], !Not [!Condition Other]]
  Other: !Or [!Equals [a, b], !Equals [c, d]]
"""


def test_short_forms_read_as_the_long_forms(tmp_path):
    path = tmp_path / "t.yaml"
    path.write_text(YAML)
    template = load_template(path)
    props = template["Resources"]["A"]["Properties"]
    assert props["Ref"] == {"Ref": "B"}
    assert props["Att"] == {"Fn::GetAtt": ["B", "Outputs.Value"]}  # only the first dot splits
    assert props["AttList"] == {"Fn::GetAtt": ["B", "Arn"]}
    assert props["Sub"] == {"Fn::Sub": "${AWS::StackName}-x"}
    assert props["SubList"] == {"Fn::Sub": ["${x}", {"x": {"Ref": "B"}}]}
    assert props["Import"] == {"Fn::ImportValue": {"Fn::Sub": "${AWS::StackName}-Token"}}
    assert props["Joined"] == {"Fn::Join": ["", ["a", {"Fn::Select": [0, {"Fn::Split": [",", "b,c"]}]}]]}
    assert props["When"] == {"Fn::If": ["IsProd", {"Fn::Base64": "text"}, {"Ref": "AWS::NoValue"}]}
    assert template["Conditions"]["IsProd"] == {
        "Fn::And": [{"Fn::Equals": ["a", "a"]}, {"Fn::Not": [{"Condition": "Other"}]}]
    }


def test_a_stack_artifact_from_a_yaml_file_reads_it_under_the_given_stack_name(tmp_path):
    path = tmp_path / "t.yml"
    path.write_text(YAML)
    artifact = StackArtifact.from_template_file(path, "my-stack")
    assert artifact.stack_name == "my-stack"
    assert artifact.template()["Resources"]["B"] == {"Type": "AWS::SNS::Topic"}


@pytest.mark.parametrize("text", ["just text", "Resources: [1, 2]", "a: !!python/object/apply:os.system [id]", "{"])
def test_what_is_not_a_template_is_refused_and_nothing_is_executed(tmp_path, text):
    path = tmp_path / "t.yaml"
    path.write_text(text)
    with pytest.raises(DriverError, match="not a CloudFormation template"):
        load_template(path)
