"""The entry points, one Chalice Blueprint per area: HTTP routes (dossiers, tasks, directory and
certificates, documents, reports, statements, alerts, the console) and event handlers (workflow
queues, domain-event consumers, table streams, schedules). `app.py` registers them.

A route reads its request through `request.Request`, builds one command, calls one service
function; services are imported inside the route, so a cold start pays only for what it serves.
"""
