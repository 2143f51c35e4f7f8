"""Label Studio round trip against the anchors, on a real local server.

    .venv/bin/python bench/labelstudio.py [--tasks 10000] [--repeats 3]

1. push: `curate push` of N tasks with predictions, against a raw `projects.import_tasks` of the
   same task JSON into a fresh project (target: ratio anchor / curate >= 0.8).
2. full pull: `curate pull` of N annotations (one JSON export) against Label Studio's own JSON
   export of the same project (target: curate within 1.2x of the export).
3. incremental pull after 100 changed annotations (target <= 2 s).
Prints medians over --repeats for 1 and 2 and one run of 3.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from curate.labelstudio.client import connect
from curate.labelstudio.label_config import label_config
from curate.labelstudio.pull import pull
from curate.labelstudio.push import predictions, push
from curate.labelstudio.server import Server, credentials, serve, stop
from curate.project import Project, init_project
from curate.records import Document, Prelabel
from curate.store import open_store, queries

ROOT = Path(__file__).resolve().parent.parent
PREFIX = "Khamenei said Tehran will answer Washington."


def make_project(folder: Path, tasks: int, port: int) -> Project:
    init_project(folder)
    config = folder / "curate.toml"
    text = config.read_text().replace("overlap = 2", "overlap = 1")
    text = text.replace(
        '# url = "https://labelstudio.example.org"', f'url = "http://127.0.0.1:{port}"'
    )
    # one annotator: every task goes to one project
    head, _, rest = text.partition("[[annotators]]")
    rest = rest.split("[assignment]", 1)[1]
    text = (
        head + '[[annotators]]\nname = "alice"\nemail = "alice@example.org"\n\n[assignment]' + rest
    )
    config.write_text(text, encoding="utf-8")
    project = Project.load(folder)
    documents = [Document(text=f"{PREFIX} Report number {n} follows.") for n in range(tasks)]
    store = open_store(f"sqlite:///{folder / '.curate' / 'curate.db'}")
    with store.transaction() as connection:
        queries.insert_documents(connection, documents)
        queries.insert_prelabels(
            connection,
            [
                Prelabel(d.id, "entity", "PERSON", "gazetteer.v1+bench", 0.95, 0, 8, "Khamenei")
                for d in documents
            ]
            + [
                Prelabel(d.id, "entity", "GPE", "gazetteer.v1+bench", 0.95, 14, 20, "Tehran")
                for d in documents
            ],
        )
        queries.record_prelabel_runs(connection, "gazetteer.v1+bench", {d.id: 2 for d in documents})
    store.close()
    return project


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tasks", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--port", type=int, default=8097)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="curate-bench-ls-"))
    server = Server(work, "127.0.0.1", args.port, "admin@example.org", ROOT / ".venv-labelstudio")
    url = serve(server)
    token = credentials(server)["token"]
    push_times, anchor_push, pull_times, export_times = [], [], [], []
    try:
        with connect(url, token, timeout=600) as client:
            for round_ in range(args.repeats):
                project = make_project(work / f"p{round_}", args.tasks, args.port)
                store = project.open_store()
                # anchor: the same task JSON, imported raw into a fresh project
                with store.connect() as connection:
                    ids = queries.document_ids(connection)
                    tasks = [
                        {
                            "data": {
                                "text": queries.get_document(connection, d).text,  # type: ignore[union-attr]
                                "title": "",
                                "doc_id": d,
                                "annotator": "alice",
                            },
                            "predictions": predictions(
                                queries.prelabels_for(connection, d), ["gazetteer.v1"]
                            ),
                        }
                        for d in ids
                    ]
                raw = client.projects.create(
                    title=f"anchor {round_}", label_config=label_config(project.settings)
                )
                start = time.perf_counter()
                for i in range(0, len(tasks), 5000):
                    client.projects.import_tasks(id=raw.id, request=tasks[i : i + 5000])
                anchor_push.append(time.perf_counter() - start)

                start = time.perf_counter()
                report = push(store, project, client, url)
                push_times.append(time.perf_counter() - start)
                assert sum(report.new_tasks.values()) == args.tasks
                store.close()
                # pull: a project whose tasks already carry one annotation each, registered in a
                # second store (so the pushed project does not count), then exported both ways
                reader = make_project(work / f"r{round_}", args.tasks, args.port)
                store = reader.open_store()
                annotated = [
                    dict(
                        t,
                        annotations=[
                            {
                                "result": [
                                    {
                                        "from_name": "label",
                                        "to_name": "text",
                                        "type": "labels",
                                        "value": {
                                            "start": 0,
                                            "end": 8,
                                            "text": "Khamenei",
                                            "labels": ["PERSON"],
                                        },
                                    }
                                ]
                            }
                        ],
                    )
                    for t in tasks
                ]
                source = client.projects.create(
                    title=f"pull {round_}", label_config=label_config(project.settings)
                )
                for i in range(0, len(annotated), 5000):
                    client.projects.import_tasks(id=source.id, request=annotated[i : i + 5000])
                with store.transaction() as connection:
                    queries.record_external_id(
                        connection, "labelstudio", "project", "bench", str(source.id)
                    )
                project, project_id = reader, source.id
                start = time.perf_counter()
                exported = json.loads(
                    b"".join(
                        client.projects.exports.download_sync(
                            project_id, export_type="JSON", download_all_tasks=True
                        )
                    )
                )
                export_times.append(time.perf_counter() - start)
                assert len(exported) == args.tasks
                start = time.perf_counter()
                pulled = pull(store, project, client, url)
                pull_times.append(time.perf_counter() - start)
                assert pulled.new_annotations == args.tasks, pulled.new_annotations
            annotations = [a["id"] for t in exported for a in t["annotations"]][:100]
            changed = [
                {
                    "from_name": "label",
                    "to_name": "text",
                    "type": "labels",
                    "value": {"start": 14, "end": 20, "text": "Tehran", "labels": ["GPE"]},
                }
            ]
            for annotation_id in annotations:
                client.annotations.update(id=annotation_id, result=changed)
            start = time.perf_counter()
            again = pull(store, project, client, url)
            incremental = time.perf_counter() - start
            assert again.new_annotations == 100 and again.full_exports == 0
            store.close()
    finally:
        stop(server)
    m = statistics.median
    print(
        f"{args.tasks} tasks with predictions; Label Studio 1.23.2 on 127.0.0.1; "
        f"median of {args.repeats}"
    )
    print(f"{'run':<44}{'seconds':>10}")
    print(f"{'anchor: raw projects.import_tasks':<44}{m(anchor_push):>10.2f}")
    print(f"{'curate push':<44}{m(push_times):>10.2f}")
    print(f"{'anchor: Label Studio JSON export':<44}{m(export_times):>10.2f}")
    print(f"{'curate pull (full)':<44}{m(pull_times):>10.2f}")
    print(f"{'curate pull after 100 changed annotations':<44}{incremental:>10.2f}")
    print(f"push ratio anchor / curate: {m(anchor_push) / m(push_times):.2f} (target >= 0.8)")
    print(f"full pull / export: {m(pull_times) / m(export_times):.2f}x (target <= 1.2x)")
    print(f"incremental pull: {incremental:.2f} s (target <= 2 s)")


if __name__ == "__main__":
    main()
