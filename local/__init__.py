"""The no-Docker, no-AWS local stack: moto server, upstream simulator, API front, drivers."""
