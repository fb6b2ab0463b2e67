"""The clinic web service: FastAPI app, pages, JSON API and background analysis.

Build the app with :func:`trichometry.web.app.create_app`; ``trichometry serve`` runs it.
This package's ``__init__`` imports nothing heavy, so the CLI can use
:mod:`trichometry.clinic.analysis` without loading FastAPI.
"""
