# Shared definitions for all rule files: input paths, result tables, code versions.
import sys
from pathlib import Path

PROJECT_ROOT = Path(workflow.basedir).parent
sys.path.insert(0, str(PROJECT_ROOT / "src"))  # this checkout's package (as the scripts do)

from radiovector.contracts import contract, stage_tables, table_outputs  # noqa: E402

SCHEMA_DIR = PROJECT_ROOT / "config" / "schemas"
# Relative input paths are resolved against the directory of the config file (as `radiovector run` does).
CONFIG_DIR = Path(workflow.configfiles[-1]).resolve().parent if workflow.configfiles else Path.cwd()
INPUTS = sorted(config["inputs"])
INPUT_PATHS = {
    name: str((CONFIG_DIR / Path(path).expanduser()).resolve()) for name, path in config["inputs"].items()
}

# Every result table the workflow commits to the store, by name; its file (relative to the work directory), key
# and columns are declared once, in radiovector.contracts (src/radiovector/contracts/tables.yaml).
# Stage rule files add their tables here, their rejects to STAGE_REJECTS and report figure folders to
# REPORT_FIGURES (report section -> folder of PNGs, each captioned by radiovector.report.captions or the stage
# caption docs/report/<stage>.rst); REPORT_INPUTS are further named inputs of the report rule (e.g. the design
# summary that the report's design-space section tabulates).
RESULT_TABLES = []
STAGE_REJECTS = []
REPORT_FIGURES = {}
REPORT_INPUTS = {}
# Input files read by a stage rather than by the ingest rule (e.g. design building blocks): summaries in the
# ingest summary format, so that their checksums land in the run's inputs like every other input.
EXTRA_INPUT_SUMMARIES = []

# A fingerprint of each script and of every library file it imports, directly or through other modules, lazily
# or not, with the data files of the packages involved (radiovector.codehash). A rule passes its script's
# fingerprint as `params: code=CODE_VERSION["<script>.py"]`, so that a change in any of those files reruns it.
from radiovector.codehash import code_versions  # noqa: E402

CODE_VERSION = code_versions(PROJECT_ROOT / "scripts", PROJECT_ROOT / "src" / "radiovector")
