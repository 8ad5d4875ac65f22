import json
from sqlalchemy import select
from app.adapters.database.tables import Incident, NotificationOutbox, SlackMessage
from tests.integration.services.test_notifier import *  # noqa

def test_storm(container, notifier, fake):
    ids = insert(container, *[analyzed_incident(repo=f"org/storm-{i}", run_id=8000 + i, signature="registry 503 everywhere", confidence=0.7) for i in range(8)])
    for i in ids:
        container.decider(i)
    with container.db.session() as s:
        rows = s.execute(select(NotificationOutbox)).scalars().all()
        inc = s.execute(select(Incident)).scalars().all()
        print([(r.incident_id, r.kind) for r in rows])
        print([(i.id, i.kind, i.status, i.parent_id, i.decision) for i in inc])
    print(notifier.deliver_pending())
    for c in fake.calls: print(c.method, c.body.get("text"))
    with container.db.session() as s:
        print([(m.incident_id, m.ts) for m in s.execute(select(SlackMessage)).scalars()])
