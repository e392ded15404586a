"""Helper process for tests/test_store_faults.py: records choices and acknowledges each one.

    python tests/store_writer.py DATA_DIR SESSION_ID N [--text-bytes K] [--delay SECONDS]

Opens the store in DATA_DIR, makes sure trainee "writer" and session SESSION_ID exist, and
records choices from the number already stored up to N-1, so a rerun resumes where a killed
run stopped. After each commit returns it prints `ACK <step>` and flushes stdout.

SIGTERM lets the in-flight transaction finish, then the process prints `TERM` and exits 0.
On DiskFullError it prints `DISKFULL <message>` and exits 3; on any other StoreError it
prints `ERROR <message>` to stderr and exits 2. A clean finish prints `DONE` and exits 0.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from pathlib import Path
from types import FrameType

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from simulator.store import DiskFullError, Store, StoreError

_stop = False


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    # Only a flag: the loop stops between transactions, never inside one.
    global _stop
    _stop = True


def run(data_dir: Path, session_id: str, n: int, text_bytes: int, delay: float) -> int:
    with Store.open(data_dir) as store:
        if store.get_session(session_id) is None:
            trainee = store.get_or_create_trainee("writer")
            store.start_session(
                trainee.id,
                "fault-scenario",
                "1",
                "hash-0",
                "rubric-1",
                "practice",
                session_id=session_id,
            )
        step = len(store.choices(session_id))
        while step < n:
            if _stop:
                print("TERM", flush=True)
                return 0
            try:
                store.record_choice(
                    session_id,
                    step,
                    f"node-{step}",
                    f"option-{step % 3}",
                    {"curiosity": "open"},
                    "x" * text_bytes if text_bytes else None,
                )
            except DiskFullError as exc:
                print(f"DISKFULL {exc}", flush=True)
                return 3
            print(f"ACK {step}", flush=True)
            step += 1
            if delay:
                time.sleep(delay)
    print("DONE", flush=True)
    return 0


def main() -> int:
    signal.signal(signal.SIGTERM, _on_sigterm)
    parser = argparse.ArgumentParser()
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("session_id")
    parser.add_argument("n", type=int)
    parser.add_argument("--text-bytes", type=int, default=0)
    parser.add_argument("--delay", type=float, default=0.0)
    args = parser.parse_args()
    try:
        return run(args.data_dir, args.session_id, args.n, args.text_bytes, args.delay)
    except StoreError as exc:
        print(f"ERROR {exc}", file=sys.stderr, flush=True)
        return 2


if __name__ == "__main__":
    sys.exit(main())
