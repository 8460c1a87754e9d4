# Shared definitions for all rule files: input paths, result-table registry.
from pathlib import Path

PROJECT_ROOT = Path(workflow.basedir).parent
SCHEMA_DIR = PROJECT_ROOT / "config" / "schemas"
# Relative input paths are resolved against the directory of the config file (as `radiovector run` does).
CONFIG_DIR = Path(workflow.configfiles[-1]).resolve().parent if workflow.configfiles else Path.cwd()
INPUTS = sorted(config["inputs"])
INPUT_PATHS = {
    name: str((CONFIG_DIR / Path(path).expanduser()).resolve()) for name, path in config["inputs"].items()
}

# Every result table the workflow commits to the store: name -> (file, key columns identifying a row).
# Stage rule files add their tables here, their rejects to STAGE_REJECTS and report figure folders to
# REPORT_FIGURES (report section -> folder of PNGs, each with a .txt caption beside it or the stage caption).
RESULT_TABLES = {}
STAGE_REJECTS = []
REPORT_FIGURES = {}
