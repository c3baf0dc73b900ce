"""Organisational structure of Khyber Pakhtunkhwa as seeded into the portal.

Divisions, districts, line departments and complaint categories are plain
data. Names follow the official KP government spelling as of 2025/2026
(40 districts in 7 divisions, counting Allai and Central Dir notified in
January 2023, Paharpur notified in November 2025 and Upper Swat notified
after the December 2025 cabinet decision). District codes never reuse a
division code; category codes are unique across all departments.
"""

from __future__ import annotations

PROVINCE = {"code": "KP", "name": "Khyber Pakhtunkhwa"}

DIVISIONS = [
    {
        "code": "BNU",
        "name": "Bannu",
        "districts": [
            {"code": "BAN", "name": "Bannu"},
            {"code": "LKM", "name": "Lakki Marwat"},
            {"code": "NWZ", "name": "North Waziristan"},
        ],
    },
    {
        "code": "DIK",
        "name": "Dera Ismail Khan",
        "districts": [
            {"code": "DIKH", "name": "Dera Ismail Khan"},
            {"code": "PHP", "name": "Paharpur"},
            {"code": "TNK", "name": "Tank"},
            {"code": "USWZ", "name": "Upper South Waziristan"},
            {"code": "LSWZ", "name": "Lower South Waziristan"},
        ],
    },
    {
        "code": "HAZ",
        "name": "Hazara",
        "districts": [
            {"code": "ABT", "name": "Abbottabad"},
            {"code": "ALI", "name": "Allai"},
            {"code": "BTG", "name": "Battagram"},
            {"code": "HRP", "name": "Haripur"},
            {"code": "KLP", "name": "Kolai-Palas"},
            {"code": "LKH", "name": "Lower Kohistan"},
            {"code": "MSH", "name": "Mansehra"},
            {"code": "TGR", "name": "Torghar"},
            {"code": "UKH", "name": "Upper Kohistan"},
        ],
    },
    {
        "code": "KOH",
        "name": "Kohat",
        "districts": [
            {"code": "HNG", "name": "Hangu"},
            {"code": "KRK", "name": "Karak"},
            {"code": "KHT", "name": "Kohat"},
            {"code": "KRM", "name": "Kurram"},
            {"code": "ORK", "name": "Orakzai"},
        ],
    },
    {
        "code": "MKD",
        "name": "Malakand",
        "districts": [
            {"code": "BJR", "name": "Bajaur"},
            {"code": "BNR", "name": "Buner"},
            {"code": "CDR", "name": "Central Dir"},
            {"code": "LCH", "name": "Lower Chitral"},
            {"code": "LDR", "name": "Lower Dir"},
            {"code": "MLK", "name": "Malakand"},
            {"code": "SHG", "name": "Shangla"},
            {"code": "SWT", "name": "Swat"},
            {"code": "UCH", "name": "Upper Chitral"},
            {"code": "UDR", "name": "Upper Dir"},
            {"code": "USWT", "name": "Upper Swat"},
        ],
    },
    {
        "code": "MRD",
        "name": "Mardan",
        "districts": [
            {"code": "MDN", "name": "Mardan"},
            {"code": "SWB", "name": "Swabi"},
        ],
    },
    {
        "code": "PSH",
        "name": "Peshawar",
        "districts": [
            {"code": "CSD", "name": "Charsadda"},
            {"code": "KHB", "name": "Khyber"},
            {"code": "MMD", "name": "Mohmand"},
            {"code": "NSR", "name": "Nowshera"},
            {"code": "PES", "name": "Peshawar"},
        ],
    },
]

DEPARTMENTS = [
    {
        "code": "HEALTH",
        "name": "Health",
        "categories": [
            {"code": "HEALTH-STAFF-ABSENT", "name": "Doctor or staff absent from duty"},
            {"code": "HEALTH-MEDICINE-SHORTAGE", "name": "Free medicines not available at facility"},
            {"code": "HEALTH-SEHAT-CARD", "name": "Sehat Card Plus treatment refused or charged"},
            {"code": "HEALTH-HOSPITAL-HYGIENE", "name": "Unhygienic ward, toilets or hospital premises"},
            {"code": "HEALTH-EQUIPMENT-FAULT", "name": "Diagnostic equipment or ambulance out of order"},
            {"code": "HEALTH-PRIVATE-CLINIC", "name": "Quackery or unregistered private clinic"},
            {"code": "HEALTH-STAFF-MISCONDUCT", "name": "Rude behaviour or bribe demanded by health staff"},
        ],
    },
    {
        "code": "ESED",
        "name": "Elementary & Secondary Education",
        "categories": [
            {"code": "ESED-TEACHER-ABSENT", "name": "Teacher absent or ghost teacher"},
            {"code": "ESED-MISSING-FACILITIES", "name": "School lacks water, toilets, boundary wall or power"},
            {"code": "ESED-FREE-TEXTBOOKS", "name": "Free textbooks not distributed"},
            {"code": "ESED-ILLEGAL-FEES", "name": "Illegal fee or fund collected from students"},
            {"code": "ESED-CORPORAL-PUNISH", "name": "Corporal punishment or harassment of students"},
            {"code": "ESED-GIRLS-STIPEND", "name": "Girls' stipend not received"},
            {"code": "ESED-BUILDING-DANGER", "name": "Dangerous or damaged school building"},
        ],
    },
    {
        "code": "POLICE",
        "name": "Police",
        "categories": [
            {"code": "POLICE-FIR-REFUSED", "name": "Refusal or delay in registering FIR"},
            {"code": "POLICE-MISCONDUCT", "name": "Misconduct, torture or bribe demanded by police"},
            {"code": "POLICE-NO-ACTION", "name": "No action on reported crime or threat"},
            {"code": "POLICE-ILLEGAL-DETENTION", "name": "Illegal detention"},
            {"code": "POLICE-DRUG-PEDDLING", "name": "Drug peddling or gambling in the area"},
            {"code": "POLICE-TRAFFIC", "name": "Traffic management or traffic warden complaint"},
        ],
    },
    {
        "code": "REVENUE",
        "name": "Board of Revenue (Revenue & Estate)",
        "categories": [
            {"code": "REVENUE-FARD-DELAY", "name": "Delay in issuing fard or land record copy"},
            {"code": "REVENUE-MUTATION", "name": "Mutation (intiqal) pending or wrongly attested"},
            {"code": "REVENUE-PATWARI-BRIBE", "name": "Bribe demanded by patwari or tehsildar"},
            {"code": "REVENUE-RECORD-TAMPERING", "name": "Tampering or error in land record"},
            {"code": "REVENUE-STATE-LAND", "name": "Encroachment on state or shamilat land"},
            {"code": "REVENUE-DEMARCATION", "name": "Land demarcation (hadbast) not carried out"},
        ],
    },
    {
        "code": "LGERD",
        "name": "Local Government, Elections & Rural Development",
        "categories": [
            {"code": "LGERD-STREETLIGHTS", "name": "Streetlights not working"},
            {"code": "LGERD-SOLID-WASTE", "name": "Garbage not collected or dumped illegally"},
            {"code": "LGERD-DRAINS-BLOCKED", "name": "Blocked or overflowing drains and nullahs"},
            {"code": "LGERD-ENCROACHMENT", "name": "Encroachment on roads, footpaths or bazaars"},
            {"code": "LGERD-BIRTH-DEATH-REG", "name": "Birth, death or marriage registration delayed"},
            {"code": "LGERD-BUILDING-CONTROL", "name": "Illegal construction or building plan violation"},
            {"code": "LGERD-STRAY-ANIMALS", "name": "Stray dogs or animals in residential areas"},
        ],
    },
    {
        "code": "PHED",
        "name": "Public Health Engineering (incl. WSSCs)",
        "categories": [
            {"code": "PHED-NO-WATER-SUPPLY", "name": "Drinking water supply interrupted"},
            {"code": "PHED-CONTAMINATED-WATER", "name": "Contaminated or dirty drinking water"},
            {"code": "PHED-PIPE-LEAKAGE", "name": "Leaking or burst water pipeline"},
            {"code": "PHED-TUBEWELL-FAULT", "name": "Water scheme tube well or pump not working"},
            {"code": "PHED-SEWERAGE-OVERFLOW", "name": "Sewerage overflow or open manhole"},
            {"code": "PHED-ILLEGAL-CONNECTION", "name": "Illegal water connection or water theft"},
        ],
    },
    {
        "code": "IRRIGATION",
        "name": "Irrigation",
        "categories": [
            {"code": "IRRIGATION-CANAL-CLOSURE", "name": "Canal or distributary dry or closed without notice"},
            {"code": "IRRIGATION-WATER-THEFT", "name": "Water theft or unauthorised outlet"},
            {"code": "IRRIGATION-DESILTING", "name": "Channel not desilted or cleaned"},
            {"code": "IRRIGATION-FLOOD-PROTECTION", "name": "Damaged flood protection wall or embankment"},
            {"code": "IRRIGATION-WARABANDI", "name": "Unfair water turn (warabandi) allocation"},
        ],
    },
    {
        "code": "CW",
        "name": "Communication & Works",
        "categories": [
            {"code": "CW-ROAD-DAMAGED", "name": "Damaged road or potholes"},
            {"code": "CW-SUBSTANDARD-WORK", "name": "Substandard material in ongoing road work"},
            {"code": "CW-WORK-ABANDONED", "name": "Road or building project stalled or abandoned"},
            {"code": "CW-BRIDGE-CULVERT", "name": "Damaged or unsafe bridge or culvert"},
            {"code": "CW-GOVT-BUILDING", "name": "Government building in need of repair"},
            {"code": "CW-LANDSLIDE-BLOCKAGE", "name": "Road blocked by landslide or debris"},
        ],
    },
    {
        "code": "ENERGY",
        "name": "Energy & Power",
        "categories": [
            {"code": "ENERGY-MICROHYDEL-FAULT", "name": "PEDO or community micro-hydel scheme not working"},
            {"code": "ENERGY-SOLAR-SCHEME", "name": "Provincial solarisation scheme faulty or not delivered"},
            {"code": "ENERGY-PESCO-OVERBILLING", "name": "Excessive or wrong PESCO/TESCO bill (referred to DISCO)"},
            {"code": "ENERGY-PESCO-OUTAGE", "name": "Outage beyond announced schedule (referred to DISCO)"},
            {"code": "ENERGY-PESCO-TRANSFORMER", "name": "Burnt transformer not replaced (referred to DISCO)"},
        ],
    },
    {
        "code": "AGRI",
        "name": "Agriculture, Livestock & Cooperation",
        "categories": [
            {"code": "AGRI-FAKE-PESTICIDE", "name": "Fake or substandard pesticide or fertilizer"},
            {"code": "AGRI-FERTILIZER-PRICE", "name": "Fertilizer overpriced or hoarded"},
            {"code": "AGRI-SEED-QUALITY", "name": "Substandard certified seed"},
            {"code": "AGRI-VET-SERVICES", "name": "Veterinary hospital or staff not available"},
            {"code": "AGRI-EXTENSION-SUBSIDY", "name": "Farm subsidy or support package not received"},
        ],
    },
    {
        "code": "SOCIAL",
        "name": "Social Welfare, Special Education & Women Empowerment",
        "categories": [
            {"code": "SOCIAL-DISABILITY-CERT", "name": "Disability certificate delayed or refused"},
            {"code": "SOCIAL-ASSISTANCE", "name": "Financial assistance or welfare grant not received"},
            {"code": "SOCIAL-SPECIAL-EDUCATION", "name": "Special education centre service complaint"},
            {"code": "SOCIAL-DARUL-AMAN", "name": "Darul Aman or shelter home complaint"},
            {"code": "SOCIAL-BEGGING-CHILD", "name": "Child begging or destitute child needing protection"},
        ],
    },
    {
        "code": "FOOD",
        "name": "Food (incl. Food Safety & Price Control)",
        "categories": [
            {"code": "FOOD-OVERPRICING", "name": "Essential items sold above notified price"},
            {"code": "FOOD-FLOUR-SHORTAGE", "name": "Flour shortage or subsidised atta not available"},
            {"code": "FOOD-ADULTERATION", "name": "Adulterated or unhygienic food (Food Safety Authority)"},
            {"code": "FOOD-SHORT-WEIGHT", "name": "Short weighing or tampered scales"},
            {"code": "FOOD-HOARDING", "name": "Hoarding of wheat, sugar or other essentials"},
        ],
    },
]
