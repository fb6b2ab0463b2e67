"""The clinic service's work between the library and its front ends (web app, CLI).

* :mod:`.analysis`: one uploaded photo through the library, as the store records it;
* :mod:`.worker`: workers that claim queued analysis jobs from the shared database.
"""
