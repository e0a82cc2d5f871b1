#!/usr/bin/python3
"""Executes one notebook headless with nbclient, as `make test` does (one CTest per notebook).

Exit 0: every cell ran (the last ones assert what the notebook computed); 1: a cell raised or an
assertion failed (the cell and the error are printed); 77: the notebook is marked as covering a
capability that is not built yet (metadata aurum.skip), reported by CTest as skipped.
"""
import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

CELL_TIMEOUT = int(os.environ.get("AURUM_NOTEBOOK_CELL_TIMEOUT", "240"))


def main(path):
    nb = nbformat.read(path, as_version=4)
    skip = nb.metadata.get("aurum", {}).get("skip")
    if skip:
        print(f"SKIPPED {Path(path).name}: {skip}")
        return 77
    here = str(Path(path).resolve().parent)
    # The kernel finds aurum_notebook.py (next to the notebooks) and the aurum package.
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (here, os.environ.get("PYTHONPATH")) if p)
    os.environ.setdefault("MPLBACKEND", "Agg")
    start = time.monotonic()
    for attempt in (1, 2):
        client = NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name="python3",
                                resources={"metadata": {"path": here}})
        try:
            client.execute()
        except CellExecutionError as e:
            print(f"FAILED {Path(path).name}:\n{e}")
            return 1
        except Exception as e:  # noqa: BLE001 - only a kernel that never ran a cell is retried
            ran = any(c.get("execution_count") for c in nb.cells if c.cell_type == "code")
            if attempt == 2 or ran:
                raise
            # Kernels started at the same moment can race for the same ZMQ ports.
            print(f"kernel did not start ({type(e).__name__}: {e}); starting it again",
                  file=sys.stderr)
            nb = nbformat.read(path, as_version=4)
            time.sleep(1)
            continue
        break
    print(f"OK {Path(path).name}: {len(nb.cells)} cells in {time.monotonic() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
