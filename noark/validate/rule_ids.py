"""Rule ids: stable English machine ids (kebab-case); the Arkade 5 test each follows is in noark/README.md."""

from __future__ import annotations

XSD = "xsd"  # N5.03: every XML file against its schema
XML_SAFETY = "xml-safety"  # DOCTYPE/entities, size and nesting limits: the file is not read
UNSAFE_PATH = "unsafe-path"  # a file reference or a symlink that leaves the package/uttrekk folder
ADDML_STRUCTURE = "addml-structure"  # the layout Arkade navigates positionally
ADDML_FILE = "addml-file"  # N5.01
ADDML_CHECKSUM = "addml-checksum"  # N5.02
ADDML_COUNT = "addml-count"  # N5.10, N5.16
DOKUMENTFIL_COUNT = "dokumentfil-count"  # N5.28
DOKUMENTFIL_MISSING = "dokumentfil-missing"  # N5.32
DOKUMENTFIL_SJEKKSUM = "dokumentfil-sjekksum"  # N5.30
DOKUMENTFIL_STOERRELSE = "dokumentfil-stoerrelse"
DOKUMENTFIL_EMPTY = "dokumentfil-empty"  # N5.64
DOKUMENTFIL_MULTIREFERERT = "dokumentfil-multireferert"  # N5.34 (warning)
UNREFERENCED_FILE = "unreferenced-file"  # N5.33
SYSTEMID_UNIQUE = "systemid-unique"  # N5.47
EMPTY_ELEMENT = "empty-element"  # N5.63
ENDRINGSLOGG_REFERENCE = "endringslogg-reference"  # N5.62
JOURNAL_COUNT = "journal-count"  # N5.59: journal entries against arkivstruktur
JOURNAL_DATES = "journal-dates"  # N5.60
DATE_ORDER = "date-order"
JOURNALDATO = "journaldato"
JOURNAL_NUMBERING = "journal-numbering"  # uttrekk only: a journalsekvensnummer used twice in a year
JOURNAL_NUMBERING_GAPS = "journal-numbering-gaps"  # uttrekk only (warning): not 1..n
SKJERMING = "skjerming"
STATUS = "status"  # N5.06, N5.22 (warning; uttrekk only)
JOURNALPOST_COUNT = "journalpost-count"  # journalposter in arkivstruktur = entries in both journals (uttrekk)
JOURNALPOST_SAKSMAPPE = "journalpost-saksmappe"  # a journalpost outside a saksmappe can't be journaled (warning)
SAKSANSVARLIG = "saksansvarlig"  # M306 is a person's name, not an e-mail address
