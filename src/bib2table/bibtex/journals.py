"""The journal macros of the AAS (``aas_macros.sty``), as NASA ADS exports write them.

ADS writes ``journal = {\\apj}`` and leaves the macro to the document's class or to
``aas_macros.sty``. A catalogue shows the abbreviation those define (and ADS shows): ApJ,
A&A, MNRAS. A file's own ``@preamble`` definition of the same name comes first.
"""

from __future__ import annotations

#: macro name -> the abbreviation it prints
JOURNALS = {
    "aj": "AJ",  # Astronomical Journal
    "actaa": "AcA",  # Acta Astronomica
    "araa": "ARA&A",  # Annual Review of Astronomy and Astrophysics
    "apj": "ApJ",  # Astrophysical Journal
    "apjl": "ApJL",  # Astrophysical Journal, Letters
    "apjs": "ApJS",  # Astrophysical Journal, Supplement
    "ao": "ApOpt",  # Applied Optics
    "apss": "Ap&SS",  # Astrophysics and Space Science
    "aap": "A&A",  # Astronomy and Astrophysics
    "aapr": "A&A Rv",  # Astronomy and Astrophysics Reviews
    "aaps": "A&AS",  # Astronomy and Astrophysics, Supplement
    "azh": "AZh",  # Astronomicheskii Zhurnal
    "baas": "BAAS",  # Bulletin of the AAS
    "bac": "BAICz",  # Bulletin of the Astronomical Institutes of Czechoslovakia
    "caa": "ChA&A",  # Chinese Astronomy and Astrophysics
    "cjaa": "ChJA&A",  # Chinese Journal of Astronomy and Astrophysics
    "icarus": "Icarus",  # Icarus
    "jcap": "JCAP",  # Journal of Cosmology and Astroparticle Physics
    "jrasc": "JRASC",  # Journal of the Royal Astronomical Society of Canada
    "memras": "MmRAS",  # Memoirs of the Royal Astronomical Society
    "mnras": "MNRAS",  # Monthly Notices of the Royal Astronomical Society
    "na": "NewA",  # New Astronomy
    "nar": "NewAR",  # New Astronomy Review
    "pra": "PhRvA",  # Physical Review A
    "prb": "PhRvB",  # Physical Review B
    "prc": "PhRvC",  # Physical Review C
    "prd": "PhRvD",  # Physical Review D
    "pre": "PhRvE",  # Physical Review E
    "prl": "PhRvL",  # Physical Review Letters
    "pasa": "PASA",  # Publications of the Astronomical Society of Australia
    "pasp": "PASP",  # Publications of the Astronomical Society of the Pacific
    "pasj": "PASJ",  # Publications of the Astronomical Society of Japan
    "psj": "PSJ",  # Planetary Science Journal
    "rmxaa": "RMxAA",  # Revista Mexicana de Astronomia y Astrofisica
    "qjras": "QJRAS",  # Quarterly Journal of the Royal Astronomical Society
    "skytel": "S&T",  # Sky and Telescope
    "solphys": "SoPh",  # Solar Physics
    "sovast": "Soviet Ast.",  # Soviet Astronomy
    "ssr": "SSRv",  # Space Science Reviews
    "zap": "ZA",  # Zeitschrift fuer Astrophysik
    "nat": "Nature",  # Nature
    "iaucirc": "IAUC",  # IAU Circulars
    "aplett": "Astrophys. Lett.",  # Astrophysics Letters
    "apspr": "Astrophys. Space Phys. Res.",  # Astrophysics Space Physics Research
    "bain": "BAN",  # Bulletin Astronomical Institute of the Netherlands
    "fcp": "FCPh",  # Fundamental Cosmic Physics
    "gca": "GeoCoA",  # Geochimica Cosmochimica Acta
    "grl": "Geophys. Res. Lett.",  # Geophysics Research Letters
    "jcp": "JChPh",  # Journal of Chemical Physics
    "jgr": "J. Geophys. Res.",  # Journal of Geophysics Research
    "jqsrt": "JQSRT",  # Journal of Quantitative Spectroscopy and Radiative Transfer
    "memsai": "MmSAI",  # Memorie della Societa Astronomica Italiana
    "nphysa": "NuPhA",  # Nuclear Physics A
    "physrep": "PhR",  # Physics Reports
    "physscr": "PhyS",  # Physica Scripta
    "planss": "Planet. Space Sci.",  # Planetary Space Science
    "procspie": "Proc. SPIE",  # Proceedings of the SPIE
    "maps": "M&PS",  # Meteoritics and Planetary Science
    "aas": "AAS Meeting Abstracts",  # American Astronomical Society Meeting Abstracts
    "dps": "AAS/DPS Meeting Abstracts",  # AAS Division for Planetary Sciences Abstracts
    "jaavso": "JAAVSO",  # Journal of the American Association of Variable Star Observers
    "astap": "A&A",  # the same as \aap
    "apjlett": "ApJL",  # the same as \apjl
    "apjsupp": "ApJS",  # the same as \apjs
    "applopt": "ApOpt",  # the same as \ao
}
