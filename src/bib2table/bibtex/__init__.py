"""Reading and writing BibTeX: the parse stage and the BibTeX rules every later stage relies on.

``blocks`` cuts a file into blocks as BibTeX does, ``parse`` evaluates each entry's fields,
``latex`` and ``names`` decode what is displayed, ``addresses`` reads URLs, DOIs and arXiv ids,
and ``bibwrite`` writes entries back as BibTeX. Nothing here knows about catalogues, settings or
outputs: this wing imports only from itself and from the package's base modules.
"""
