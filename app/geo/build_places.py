"""Build app/geo/places.json from the npm package countries-states-cities (see README.md here).

    python app/geo/build_places.py            # after `make install` (npm ci puts the package in node_modules)

Reads node_modules/countries-states-cities/dist/lib/cities.json and writes a
small file the portal commits and reads at run time (no node_modules needed
there): one centre per district seeded in app/organisation_data.py, and the
towns the "is this pin in Khyber Pakhtunkhwa?" test compares a pin with.

A district's centre is, in this order of preference:
  "dataset"        its headquarters town, found in the dataset under the same name;
  "matched by hand" its headquarters town, in the dataset under another spelling (HEADQUARTERS below);
  "other town"     the headquarters is not in the dataset: another dataset town inside the district;
  "placed by hand" no dataset town lies in the district: the headquarters' coordinates written
                   here from general maps, rounded to 0.01 degree (about 1 km), approximate.
The build prints which district took which way, so a later dataset can replace the hand-placed ones.
"""
from __future__ import annotations

import json
import math
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SOURCE = ROOT / "node_modules" / "countries-states-cities"
CITIES = SOURCE / "dist" / "lib" / "cities.json"
TARGET = HERE / "places.json"
NEIGHBOUR_KM = 300  # foreign towns this close to a Khyber Pakhtunkhwa town are kept
# "TA" (the former Federally Administered Tribal Areas) merged into Khyber Pakhtunkhwa in 2018;
# the dataset still lists its towns apart.
KP_STATES = {"KP", "TA"}

# district code -> (headquarters town, dataset name, or None when not in the dataset)
HEADQUARTERS = {
    "BAN": ("Bannu", "Bannu"),
    "LKM": ("Lakki Marwat", "Lakki"),
    "NWZ": ("Miranshah", "Miran Shah"),
    "DIKH": ("Dera Ismail Khan", "Dera Ismail Khan"),
    "PHP": ("Paharpur", "Paharpur"),
    "TNK": ("Tank", "Tank"),
    "USWZ": ("Ladha", None),
    "LSWZ": ("Wana", "Wana"),
    "ABT": ("Abbottabad", "Abbottabad"),
    "ALI": ("Banna", None),
    "BTG": ("Battagram", "Battagram"),
    "HRP": ("Haripur", "Haripur"),
    "KLP": ("Palas", None),
    "LKH": ("Pattan", None),
    "MSH": ("Mansehra", "Mansehra"),
    "TGR": ("Judbah", None),
    "UKH": ("Dasu", None),
    "HNG": ("Hangu", "Hangu"),
    "KRK": ("Karak", "Karak"),
    "KHT": ("Kohat", "Kohat"),
    "KRM": ("Parachinar", None),
    "ORK": ("Kalaya", None),
    "BJR": ("Khar", None),
    "BNR": ("Daggar", None),
    "CDR": ("Wari", "Kakad Wari Dir Upper"),
    "LCH": ("Chitral", "Chitral"),
    "LDR": ("Timergara", None),
    "MLK": ("Batkhela", "Bat Khela"),
    "SHG": ("Alpuri", None),
    "SWT": ("Saidu Sharif and Mingora", "Mingora"),
    "UCH": ("Booni", None),
    "UDR": ("Dir", "Upper Dir"),
    "USWT": ("Matta and Khwazakhela", None),
    "MDN": ("Mardan", "Mardan"),
    "SWB": ("Swabi", "Swabi"),
    "CSD": ("Charsadda", "Charsadda"),
    "KHB": ("Landi Kotal", "Landi Kotal"),
    "MMD": ("Ghalanai", None),
    "NSR": ("Nowshera", "Nowshera"),
    "PES": ("Peshawar", "Peshawar"),
}
# Headquarters not in the dataset, with a dataset town that lies inside the district.
OTHER_TOWN = {
    "KRM": "Alizai",  # Lower Kurram
    "BNR": "Buner District",  # the dataset's own point for Buner, near Daggar
}
# Headquarters not in the dataset and no dataset town inside the district: approximate, from general maps.
PLACED_BY_HAND = {
    "USWZ": (32.56, 69.87),  # Ladha / Makeen, the Mehsud country
    "ALI": (34.83, 73.07),  # Banna, Allai valley
    "KLP": (35.06, 73.15),  # Palas valley, east of the Indus
    "LKH": (35.03, 72.96),  # Pattan
    "TGR": (34.70, 72.80),  # Judbah
    "UKH": (35.29, 73.29),  # Dasu
    "ORK": (33.64, 70.91),  # Kalaya
    "BJR": (34.73, 71.52),  # Khar
    "LDR": (34.83, 71.84),  # Timergara
    "SHG": (34.90, 72.64),  # Alpuri
    "UCH": (36.27, 72.25),  # Booni
    "USWT": (34.93, 72.45),  # between Matta and Khwazakhela (headquarters of the new district not confirmed)
    "MMD": (34.33, 71.39),  # Ghalanai
}


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine, mean Earth radius)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(a))


def _districts() -> list[dict]:
    sys.path.insert(0, str(ROOT))
    from app.organisation_data import DIVISIONS

    return [district for division in DIVISIONS for district in division["districts"]]


def _point(city: dict) -> tuple[float, float]:
    return round(float(city["latitude"]), 4), round(float(city["longitude"]), 4)


def build(cities: list[dict]) -> tuple[dict, list[str]]:
    pakistan = [c for c in cities if c["country_code"] == "PK"]
    kp_by_name = {c["name"]: c for c in pakistan if c["state_code"] in KP_STATES}
    centres, report = [], []
    for district in _districts():
        code, name = district["code"], district["name"]
        town, dataset_name = HEADQUARTERS[code]
        if dataset_name is not None:
            lat, lon = _point(kp_by_name[dataset_name])
            how = "dataset" if dataset_name == town else "matched by hand"
            label = dataset_name
        elif code in OTHER_TOWN:
            label = OTHER_TOWN[code]
            lat, lon = _point(kp_by_name[label])
            how = "other town"
        else:
            lat, lon = PLACED_BY_HAND[code]
            how, label = "placed by hand", town
        centres.append({"code": code, "name": name, "headquarters": town, "point": label, "how": how,
                        "lat": lat, "lon": lon})
        if how != "dataset":
            report.append(f"{name} ({code}): {how}: headquarters {town}, centre at {label} ({lat}, {lon})")

    kp_points = [(c["lat"], c["lon"]) for c in centres] + [_point(c) for c in kp_by_name.values()]
    towns = []
    for city in cities:
        lat, lon = _point(city)
        if city["country_code"] == "PK":
            region = "KP" if city["state_code"] in KP_STATES else f"PK-{city['state_code']}"
        elif min(distance_km(lat, lon, *p) for p in kp_points) <= NEIGHBOUR_KM:
            region = city["country_code"]
        else:
            continue
        towns.append([city["name"], region, lat, lon])
    towns.sort(key=lambda t: (t[1], t[0]))
    return {
        "about": "District centres of Khyber Pakhtunkhwa and towns of Pakistan and its neighbours within "
                 f"{NEIGHBOUR_KM} km, for suggesting a complaint's district from a pin (app/geo/README.md).",
        "source": "npm countries-states-cities 1.0.6 (dist/lib/cities.json), data from "
                  "https://github.com/dr5hn/countries-states-cities-database; some district centres placed by hand",
        "licence": "ODbL-1.0 (the dr5hn database); the npm package's code is MIT",
        "built_by": "app/geo/build_places.py",
        "districts": centres,
        "towns": towns,
    }, report


def _compact(places: dict) -> str:
    """JSON with one district or town a line: small, and a rebuild's diff shows what moved."""
    def dumps(value):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))

    lines = ["{"]
    for key, value in places.items():
        if isinstance(value, list):
            rows = ",\n".join(f"  {dumps(row)}" for row in value)
            lines.append(f'"{key}": [\n{rows}\n],')
        else:
            lines.append(f'"{key}": {dumps(value)},')
    lines[-1] = lines[-1].rstrip(",")
    return "\n".join([*lines, "}"]) + "\n"


def main() -> None:
    if not CITIES.is_file():
        sys.exit(f"{CITIES} not found: run `make install` (npm ci installs countries-states-cities)")
    version = json.loads((SOURCE / "package.json").read_text())["version"]
    if version != "1.0.6":
        sys.exit(f"countries-states-cities {version} is installed; this build was checked against 1.0.6")
    places, report = build(json.loads(CITIES.read_text(encoding="utf-8")))
    TARGET.write_text(_compact(places), encoding="utf-8")
    print(f"wrote {TARGET.relative_to(ROOT)}: {len(places['districts'])} district centres, "
          f"{len(places['towns'])} towns")
    print("district centres not taken from the dataset under the headquarters' own name:")
    print(*(f"  {line}" for line in report), sep="\n")


if __name__ == "__main__":
    main()
