"""District names in the reader's language, where the catalogues translate them.

Names of places are data (app/organisation_data.py seeds them in English).
Listing them here marks them for `make translations`, so the Urdu and Pashto
catalogues get an entry for each; `translated` then shows the translation when
there is one and the English name otherwise.
"""
from __future__ import annotations

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

DISTRICT_NAMES = (
    _l("Abbottabad"),
    _l("Allai"),
    _l("Bajaur"),
    _l("Bannu"),
    _l("Battagram"),
    _l("Buner"),
    _l("Central Dir"),
    _l("Charsadda"),
    _l("Dera Ismail Khan"),
    _l("Hangu"),
    _l("Haripur"),
    _l("Karak"),
    _l("Khyber"),
    _l("Kohat"),
    _l("Kolai-Palas"),
    _l("Kurram"),
    _l("Lakki Marwat"),
    _l("Lower Chitral"),
    _l("Lower Dir"),
    _l("Lower Kohistan"),
    _l("Lower South Waziristan"),
    _l("Malakand"),
    _l("Mansehra"),
    _l("Mardan"),
    _l("Mohmand"),
    _l("North Waziristan"),
    _l("Nowshera"),
    _l("Orakzai"),
    _l("Paharpur"),
    _l("Peshawar"),
    _l("Shangla"),
    _l("Swabi"),
    _l("Swat"),
    _l("Tank"),
    _l("Torghar"),
    _l("Upper Chitral"),
    _l("Upper Dir"),
    _l("Upper Kohistan"),
    _l("Upper South Waziristan"),
    _l("Upper Swat"),
)


def translated(name: str) -> str:
    """`name` in the reader's language when the catalogue has it, else as given."""
    return gettext(name) if name else name
