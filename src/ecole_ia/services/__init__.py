"""Local stand-ins for web services the lessons talk to (no network, ever).

Each module imitates one documented service closely enough to write a real client against
it: a small HTTP server bound to 127.0.0.1 in a background thread, or an httpx transport
that answers like the service (including its errors). Import the module you need directly,
e.g. ``from ecole_ia.services.weather_api import serve_weather_api``.
"""
