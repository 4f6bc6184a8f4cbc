"""The outputs: templates rendered, cleaned, and written to files.

``render`` fills the format's jinja2 template, ``clean`` makes sure nothing from the input
became markup, ``write`` puts files in place atomically, and ``update`` replaces a README
section. This wing imports from ``catalogue``, ``bibtex`` and the base modules, never from the
drivers (``cli``, ``pipeline``, ``check``, ``watch``).
"""
