# Shared helpers for all rule files: input paths, result-table registry.
import os
from pathlib import Path

PROJECT_ROOT = Path(workflow.basedir).parent
SCHEMA_DIR = PROJECT_ROOT / "config" / "schemas"
CONFIG_DIR = Path(workflow.configfiles[-1]).resolve().parent if workflow.configfiles else Path.cwd()
INPUTS = sorted(config["inputs"])

# Every result table the workflow commits to the store: name -> (file, key columns identifying a row).
# Stage rule files add their tables here.
RESULT_TABLES = {}


def input_path(wildcards):
    """The configured file of one input kind, relative paths resolved against the config file."""
    path = Path(os.path.expanduser(config["inputs"][wildcards.input_name]))
    return str(path if path.is_absolute() else (CONFIG_DIR / path).resolve())
