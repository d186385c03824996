"""``python -m bedrock_customization watch`` must not start aws-cdk-lib (a jsii Node process): the package's names
load lazily (PEP 562), and the watch modules import neither aws_cdk nor matplotlib nor rich at module level."""

from __future__ import annotations

import json
import subprocess
import sys

import bedrock_customization
import pytest


def run_python(code: str) -> dict:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_importing_the_watch_command_imports_no_aws_cdk_matplotlib_or_rich():
    loaded = run_python(
        "import json, sys, importlib, pkgutil\n"
        "import bedrock_customization.watch.command, bedrock_customization.__main__\n"
        "import bedrock_customization.watch as w\n"
        "for m in pkgutil.walk_packages(w.__path__, w.__name__ + '.'): importlib.import_module(m.name)\n"
        "print(json.dumps({n: n in sys.modules for n in ('aws_cdk', 'jsii', 'matplotlib', 'rich')}))"
    )
    assert loaded == {"aws_cdk": False, "jsii": False, "matplotlib": False, "rich": False}


def test_the_public_names_still_import_from_the_package_and_are_the_modules_classes():
    answer = run_python(
        "import json, sys\n"
        "import bedrock_customization as b\n"
        "before = 'aws_cdk' in sys.modules\n"
        "from bedrock_customization import CustomizationJob, CustomModel, S3Location, WaitMode, __version__\n"
        "from bedrock_customization.customization_job import CustomizationJob as Direct\n"
        "from bedrock_customization import *\n"
        "print(json.dumps({'before': before, 'after': 'aws_cdk' in sys.modules, 'same': CustomizationJob is Direct,"
        " 'missing': [n for n in b.__all__ if not hasattr(b, n)], 'dir': sorted(set(b.__all__) - set(dir(b)))}))"
    )
    assert answer == {"before": False, "after": True, "same": True, "missing": [], "dir": []}


def test_every_public_name_maps_to_a_module_and_an_unknown_name_is_an_attribute_error():
    assert set(bedrock_customization._LAZY) == set(bedrock_customization.__all__) - {"__version__"}
    with pytest.raises(AttributeError, match="has no attribute 'NoSuchConstruct'"):
        _ = bedrock_customization.NoSuchConstruct
