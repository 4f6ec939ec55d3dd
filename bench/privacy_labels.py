"""Write the labelled set for ``bench/privacy.py``: ``bench/data/privacy_labelled.json``.

    .venv/bin/python bench/privacy_labels.py

Deterministic (fixed seed). Every identity number is generated from a fictional date in 1855-1899 (individual
digits 500-749, the 1800s range) with stdnum-compatible check digits: nobody alive holds such a number. Each
entry is ``{"text": ..., "expect": [{"kind": ..., "match": ...}]}``; ``match`` is the exact substring that
must be found (its first occurrence). Entries without ``expect`` are near-misses or plain dialogue.
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

from stdnum.no import fodselsnummer, kontonr

OUT = Path(__file__).resolve().parent / "data" / "privacy_labelled.json"
rng = random.Random(14)


def identity(d_number: bool = False) -> str:
    """A valid 11-digit fødselsnummer (or d-nummer) born 1855-1899."""
    while True:
        year, month, day = rng.randint(1855, 1899), rng.randint(1, 12), rng.randint(1, 28)
        base = f"{day + (40 if d_number else 0):02d}{month:02d}{year % 100:02d}{rng.randint(500, 749):03d}"
        k1 = fodselsnummer.calc_check_digit1(base)
        if len(k1) != 1:
            continue
        k2 = fodselsnummer.calc_check_digit2(base + k1)
        if len(k2) == 1 and fodselsnummer.is_valid(base + k1 + k2):
            return base + k1 + k2


def broken(number: str) -> str:
    """The same number with a wrong last check digit."""
    bad = number[:-1] + str((int(number[-1]) + rng.randint(1, 9)) % 10)
    return bad if not fodselsnummer.is_valid(bad) else broken(number)


def account() -> str:
    while True:
        base = f"{rng.randint(1000, 9999)}{rng.randint(0, 99):02d}{rng.randint(0, 9999):04d}"
        for check in "0123456789":
            if kontonr.is_valid(base + check):
                return base + check


def bad_account() -> str:
    good = account()
    return good[:-1] + str((int(good[-1]) + 3) % 10)


def split(number: str, style: int) -> str:
    return [number, f"{number[:6]} {number[6:]}", f"{number[:6]}-{number[6:]}"][style % 3]


def acc_fmt(number: str, style: int) -> str:
    return [f"{number[:4]}.{number[4:6]}.{number[6:]}", f"{number[:4]} {number[4:6]} {number[6:]}"][style % 2]


def mobile() -> str:
    return f"{rng.choice('49')}{rng.randint(0, 9999999):07d}"


def landline() -> str:
    return f"{rng.choice('2357')}{rng.randint(0, 9999999):07d}"


def phone_fmt(n: str, style: int) -> str:
    return [n, f"{n[:3]} {n[3:5]} {n[5:]}", f"{n[:2]} {n[2:4]} {n[4:6]} {n[6:]}"][style % 3]


ID_TEMPLATES = [
    "Fødselsnummeret til sønnen min er {n}, kan dere sjekke saken?",
    "Mitt personnummer: {n}. Ring meg når søknaden er behandlet.",
    "Fødselsnummeret mitt er {n} om dere treng det.",
    "Her er fnr {n} så dere finner meg i systemet.",
    "Søknaden gjelder dattera mi, {n}.",
    "Eg sende inn skjemaet for {n} for tre veker sidan og har ikkje høyrt noko.",
    "Kan noen sjekke {n}? Hun har fortsatt ikke fått svar.",
    "Sender dere brevet til {n} eller til meg?",
    "({n}) er mor mi, ho har venta på plass i eit halvt år.",
    "Hei! {n} heter jeg i folkeregisteret, ikke det dere skrev i vedtaket.",
]
D_TEMPLATES = [
    "Jeg har d-nummer {n} og får ikke logget inn på Min side.",
    "D-nummeret mitt er {n}, jeg jobber på fiskebruket om sommeren.",
    "Eg har berre d-nummer ({n}) og kjem ikkje inn med BankID.",
    "Kollegaen min fra Litauen har {n}, kan han søke om parkeringskort?",
    "Registrert med {n} hos Skatteetaten, men kommunen finner meg ikke.",
]
ACCOUNT_TEMPLATES = [
    "Refusjonen kan settes inn på kontonummer {n}.",
    "Kontoen min er {n}, takk for hjelpa!",
    "Betal depositumet til {n} så er det ordnet.",
    "Overfør pengane til konto {n}, eg har ikkje Vipps.",
    "Pengene for leie av gymsalen: kontonr. {n}",
]
PHONE_TEMPLATES = [
    "Ring meg gjerne på {n} etter kl. 16.",
    "Du når meg på {n} om du vil ha bilder av hullet i vegen.",
    "Send en SMS til {n}, så kommer jeg og henter nøkkelen.",
    "Telefonnummeret mitt er {n}.",
    "Mobilen min: {n}",
    "Ring {n} viss de lurer på noko.",
    "Kontakt meg på {n} eller på e-post.",
    "Eg heiter Sigrun, tlf. {n}.",
    "Vipps meg på {n} for billetten!",
    "Nummeret er {n}, spør etter Knut.",
]
INTL = [
    "+46 70 123 45 67", "+4670 1234567", "+44 20 7946 0958", "+1 202 555 0143", "+49 30 1234567",
    "0049 30 12345678", "+48 512 345 678", "+370 612 34567", "+358 40 1234567", "0046 8 123 456 78",
    "+31 20 123 4567", "+34 612 34 56 78",
]  # fmt: skip
EMAILS = [
    "kari.nordmann@gmail.com", "ola_h@online.no", "jens+kommune@example.org", "siri.lie@hotmail.com",
    "ahmed.ali1987@yahoo.no", "p.nowak@wp.pl", "aino.virtanen@outlook.com", "tor-erik@broadpark.no",
    "haakon@bakken.example", "mona.berg@fjordvik-il.no", "Vegard.Moen@Gmail.com", "silje@live.no",
    "randi.dahl.73@icloud.com", "e.somby@sapmi.example", "l.haddad@proton.me",
]  # fmt: skip
EMAIL_TEMPLATES = [
    "Send svaret til {n}, jeg sjekker ikke Messenger.",
    "Du kan skrive til meg på {n}.",
    "E-posten min er {n} om noen vil bli med på dugnaden.",
    "Eg har sendt det frå {n} tre gonger no.",
    "Kontakt: {n}",
]
CATEGORY = {
    "helse": [
        ("Mora mi har demens og har ikkje fått plass på sjukeheimen.", "demens"),
        ("Jeg har diabetes og må ha mat med på turen.", "diabetes"),
        ("Min mann er hjertesyk og kan ikke gå så langt til bussen.", "hjertesyk"),
        ("Broren min fikk diagnosen i fjor og trenger tilrettelegging.", "fikk diagnosen"),
        ("Dottera mi har autisme og treng fast assistent i klassen.", "autisme"),
        ("Han ble innlagt på sykehuset etter fallet på glatta.", "innlagt på"),
        ("Eg er sjukmeld og kan ikkje møte på dugnaden.", "sjukmeld"),
        ("Kona mi har brystkreft og får cellegift på Førde.", ("brystkreft", "cellegift")),
        ("Jeg sliter med depresjon og får ikke time hos psykolog.", "depresjon"),
        ("Sønnen min har ADHD og blir sendt hjem fra SFO.", "ADHD"),
        ("Far er alkoholiker og ingen fra kommunen hjelper.", "alkoholiker"),
        ("Ho har epilepsi og kan ikkje vere åleine.", "epilepsi"),
        ("Jeg er gravid og lurer på om jeg kan ta vaksinen.", "gravid"),
        ("Onkelen min er rusavhengig og sover ute.", "rusavhengig"),
        ("Bestefar har Parkinson og kommer seg ikke ut.", "Parkinson"),
        ("Eg har psykisk lidelse og treng hjelp, ikkje skjema.", "psykisk lidelse"),
        ("Hun er psykisk syk og trenger oppfølging.", "psykisk syk"),
        ("Kameraten min har schizofreni og fikk ikke plass.", "schizofreni"),
        ("Mor har KOLS og tåler ikke støvet fra anlegget.", "KOLS"),
        ("Eg har vore sjukemeld sidan mars på grunn av ryggen.", "sjukemeld"),
        ("Dattera hennes har anoreksi og venter på BUP.", "anoreksi"),
        ("Han har en alvorlig sykdom og kan ikke stå i kø.", "sykdom"),
        ("Far min er utviklingshemmet og trenger avlastning.", "utviklingshemmet"),
        ("Naboen er dement og går seg bort om kveldene.", "dement"),
        ("Eg har astma og eksosen frå bussane er eit problem.", "astma"),
        ("Kollegaen min fikk hjerneslag i fjor og bruker rullestol.", "hjerneslag"),
        ("Mannen min har kreft, så vi trenger parkering nær inngangen.", "kreft"),
        ("Ho er diabetikar og må ete til faste tider.", "diabetikar"),
    ],
    "barnevern": [
        ("Barnevernet tok barna våre i fjor og vi får ikke svar.", "Barnevernet"),
        ("Eg har sendt bekymringsmelding om nabobarna.", "bekymringsmelding"),
        ("Vi er fosterhjem for en gutt på seks år.", "fosterhjem"),
        ("Barneverntenesta har ikkje svart på tre månader.", "Barneverntenesta"),
        ("Saken om omsorgsovertakelse skal opp i fylkesnemnda.", "omsorgsovertakelse"),
        ("Dottera mi bur i fosterheim og eg får berre samvær ein gong i månaden.", "fosterheim"),
        ("Han ble akuttplassert etter jul.", "akuttplassert"),
        ("Vi har hatt barnevernssak i to år nå.", "barnevernssak"),
        ("Hun er fosterbarn og skal få skoleskyss.", "fosterbarn"),
        ("Kommunebarnevernet må svare på klagen min.", "Kommunebarnevernet"),
        ("Kontaktpersonen vår i barnevernet har slutta.", "barnevernet"),
        ("Vi søkte om å bli beredskapshjem i vår.", "beredskapshjem"),
    ],
    "sosialtjeneste": [
        ("Jeg har gått på sosialhjelp i to år og får ikke råd til SFO.", "sosialhjelp"),
        ("Eg får arbeidsavklaringspengar og har ikkje råd til bussen.", "arbeidsavklaringspengar"),
        ("Mor er uføretrygdet og kan ikke betale egenandelen.", "uføretrygdet"),
        ("NAV-saken min har ligget i tre måneder.", "NAV-saken"),
        ("Jeg er på kvalifiseringsprogrammet og må møte kl. 9.", "kvalifiseringsprogrammet"),
        ("Vi har søkt om økonomisk sosialhjelp til strømregningen.", "økonomisk sosialhjelp"),
        ("Eg har vore heimlaus sidan jul.", "heimlaus"),
        ("Saksbehandleren min i NAV svarer ikke på meldinger.", "Saksbehandleren min i NAV"),
        ("Jeg mottar dagpenger og lurer på om jeg kan ta kurset.", "dagpenger"),
        ("Vi har fått avslag på bostøtte igjen.", "bostøtte"),
        ("Han er hjemløs og sover i gapahuken.", "hjemløs"),
        ("Eg har gjeldsordning og kan ikkje ta opp lån.", "gjeldsordning"),
    ],
    "religion": [
        ("Vi er muslimer og barna kan ikke spise svinekjøtt i barnehagen.", "muslimer"),
        ("Som katolikk går jeg i messe hver søndag.", "katolikk"),
        ("Familien vår er jødisk og vi feirer ikke jul.", "jødisk"),
        ("Eg er ateist og vil ikkje at skulen skal gå i kyrkja.", "ateist"),
        ("Naboen er Jehovas vitne og vil ikke ha bursdagsfeiring.", "Jehovas vitne"),
        ("Han konverterte i fjor og har ikkje kontakt med familien.", "konverterte"),
    ],
    "etnisitet": [
        ("Vi er flyktninger fra Syria og trenger tolk på foreldremøtet.", "flyktninger"),
        ("Som innvandrer får jeg aldri svar fra kommunen.", "innvandrer"),
        ("Dei med innvandrarbakgrunn får dårlegare tilbod.", "innvandrarbakgrunn"),
        ("Familien min er tatere og har bodd her i generasjoner.", "tatere"),
        ("Han blir mobba på grunn av hudfargen.", "hudfargen"),
    ],
    "seksuell-orientering": [
        ("Sønnen min er homofil og blir mobbet på skolen.", "homofil"),
        ("Eg er lesbisk og vil ha trygge møteplassar for ungdom.", "lesbisk"),
        ("Hun er transperson og trenger eget garderobetilbud.", "transperson"),
        ("Han kom ut av skapet i fjor.", "kom ut av skapet"),
        ("Dottera mi er bifil og vil ha regnbueflagg på skulen.", "bifil"),
    ],
    "fagforening": [
        ("Jeg er tillitsvalgt i Fagforbundet på sykehjemmet.", ("tillitsvalgt", "Fagforbundet")),
        ("Eg er fagorganisert og har rett til permisjon.", "fagorganisert"),
        ("Som medlem av fagforeningen protesterer jeg mot kuttene.", "fagforeningen"),
        ("Hovudtillitsvald for lærarane skreiv under.", "Hovudtillitsvald"),
        ("Vi i Utdanningsforbundet støtter foreldrene.", "Utdanningsforbundet"),
    ],
    "politikk": [
        ("Jeg stemte på Høyre sist, men aldri igjen.", "stemte på"),
        ("Eg er partimedlem og sit i styret lokalt.", "partimedlem"),
        ("Jeg meldte meg inn i Senterpartiet etter vedtaket.", "meldte meg inn i"),
        ("Mi politiske overbevisning har ingenting med saka å gjere.", "politiske overbevisning"),
        ("Eg røysta på Raudt, og det gjer eg igjen.", "røysta på"),
    ],
    "straffesak": [
        ("Naboen er dømt for vold og bor ved skolen.", "dømt for"),
        ("Han sitter i fengsel og får ikke besøk av barna.", "sitter i fengsel"),
        ("Faren er siktet for underslag i kommunen.", "siktet for"),
        ("Ho vart tiltala for brannen i fjor.", "tiltala for"),
        ("Eg har straffesak mot meg og treng advokat.", "straffesak"),
    ],
}
PLAIN = [
    "Flott at dere tar tak i dette! Gleder meg til den nye gågata.",
    "Når kommer brøytebilen til Nordfjordbotn? Vi har vært innesnødd siden i går.",
    "Kan man betale med Vipps på biblioteket?",
    "Eg er heilt einig, sentrum treng fleire benkar og tre.",
    "Dette var ikke greit. Man kan være uenig i planen uten å gå på personen.",
    "Bussen gikk ti minutter for tidlig i dag igjen.",
    "Takk for en fin kveld på kulturhuset!",
    "Kor lenge er svømmehallen stengt i sommar?",
    "Jeg savner en gangfelt ved Skoleveien, det er livsfarlig om morgenen.",
    "Strålende arrangement, ungene koste seg!",
    "Hvorfor blir ikke skolebussen prioritert når vegen er stengt?",
    "Når opnar den nye barnehagen på Moane?",
    "Vi trenger flere krefter i dugnadsgjengen, kom og bli med!",
    "Helsehuset har åpent til 14, så rekk det før lunsj.",
    "Navet i hjulet er knekt, så sykkelen står på verkstedet.",
    "Kommunestyret vedtok budsjettet i går kveld.",
    "Gratulerer med ny rådgiver i arkivet!",
    "Kan vi få en søppeldunk ved gapahuken?",
    "Fin film fra kommunestyremøtet, takk for at dere strømmer.",
    "Det er farleg å sykle langs riksvegen no.",
    "Jeg vil gjerne ha svar på innspillet mitt fra i fjor.",
    "Skateparken blir kjempebra, takk til ungdomsrådet!",
    "Det er meldt mye regn, så sjekk kjelleren.",
    "Eit levande sentrum er bra for grendene òg.",
    "Diagnosen på bilen var dyr, men den er fikset nå.",
    "Samværet på eldresenteret var så hyggelig i går.",
    "Han kan stemme på forslaget i formannskapet.",
    "Kirken er åpen for alle på julaften.",
    "Taket kan rase sammen om snøen ikke måkes.",
    "Tiltaket gjelder alle barn i kommunen.",
    "Politiet var på stedet og dirigerte trafikken.",
    "Biblioteket har fått nye bøker om helse og trening.",
    "NAV-kontoret holder stengt på fredag.",
    "Barnehagen har fått ny uteplass, så fint!",
    "Sosiale medier er ikke stedet for saksbehandling.",
    "Hvor mange plasser blir det i den nye parkeringskjelleren?",
    "Gapahuken ved vannet trenger nytt tak.",
    "Eg meiner kommunen burde satse meir på kollektivtrafikk.",
    "Takk for svar, da vet jeg det.",
    "Vaksinen var gratis og det gikk kjapt.",
]
NEAR_MISS = [
    "Ordrenummer {o8} er fortsatt ikke levert.",
    "Bestillingen min har nummer {o8}, den kom aldri.",
    "KID: {kid} – er det riktig for eiendomsskatten?",
    "Fakturanummer {o8} har feil beløp.",
    "Faktura {o11} ble betalt for lenge siden.",
    "Saksnummer 2024/1042 gjelder reguleringsplanen.",
    "Møtet er {date} kl. 18 i kommunestyresalen.",
    "Fristen er {date}, ikke glem det.",
    "Jeg bor på 6800 Førde og har ikke fått brev.",
    "Postnummeret er 0150 Oslo, ikke 0105.",
    "Fra 1999 til 2024 har ingenting skjedd med vegen.",
    "Budsjettet for 2025 er 12 500 000 kroner.",
    "Org.nr. 974 760 673 står på fakturaen.",
    "Gnr. 12 bnr. 345 er tomta det gjelder.",
    "Kundenummer {o8} hos renovasjonen.",
    "Sporingsnummer {o11} viser at pakken står på postkontoret.",
    "Referanse {o11} i brevet fra kommunen.",
    "Det nummeret ({bad}) stemmer vel ikke?",
    "Koden {bad} fungerer ikke på nettsiden.",
    "Lisensnummer {o8} til programmet.",
    "Kontonummeret {badacc} var visst feil, pengene kom i retur.",
    "Skriv til postmottak@fjordvik.kommune.no så tar de det videre.",
    "Send det til servicetorget@fjordvik.kommune.no.",
    "@hakon_bakken vegen er stengt for all ferdsel.",
    "Se www.tiktok.com/@fjordvik.ungdomsrad for mer.",
    "Kampen endte 12345678 til null, nei da, 3-1 :)",
    "Vi var 120 000 besøkende i fjor.",
    "Prosjektet har fått 1 234 567 kroner i tilskudd.",
    "Versjon 2024.03.15 av planen er den gjeldende.",
    "Fra {date} til {date2} er vegen stengt.",
]


def main() -> int:
    entries: list[dict] = []

    def add(text: str, kind: str | None = None, match: str | tuple[str, ...] | None = None, group: str = "") -> None:
        matches = (match,) if isinstance(match, str) else match or ()
        expect = [{"kind": kind, "match": m} for m in matches] if kind else []
        for m in matches:
            if m not in text:
                raise ValueError(f"{m!r} not in {text!r}")
        entries.append({"group": group or (kind or "plain"), "text": text, "expect": expect})

    for i in range(60):
        n = split(identity(), i)
        add(ID_TEMPLATES[i % len(ID_TEMPLATES)].format(n=n), "fodselsnummer", n, "fodselsnummer")
    for i in range(25):
        n = split(identity(d_number=True), i)
        add(D_TEMPLATES[i % len(D_TEMPLATES)].format(n=n), "d-nummer", n, "d-nummer")
    for i, label in enumerate(["fnr.", "Fødselsnummer:", "personnummer", "fnr", "fødselsnr."] * 2):
        n = split(broken(identity()), i)
        # Invalid check digits right after an identity label: a near-miss (issue 14), not a hit.
        add(f"Søknaden gjelder {label} {n}, men systemet sier nummeret er feil.", group="merket")
    for i in range(25):
        n = account()
        shown = acc_fmt(n, i) if i % 5 else n
        add(ACCOUNT_TEMPLATES[i % len(ACCOUNT_TEMPLATES)].format(n=shown), "kontonummer", shown, "kontonummer")
    for i in range(36):
        raw = mobile() if i % 3 else landline()
        shown = phone_fmt(raw, i)
        if i % 4 == 0:
            shown = ["+47 ", "0047 ", "+47", "(+47) "][(i // 4) % 4] + shown
        add(PHONE_TEMPLATES[i % len(PHONE_TEMPLATES)].format(n=shown), "telefon", shown, "telefon")
    for i, number in enumerate(INTL):
        add(PHONE_TEMPLATES[i % len(PHONE_TEMPLATES)].format(n=number), "telefon", number, "telefon-int")
    for i, address in enumerate(EMAILS):
        add(EMAIL_TEMPLATES[i % len(EMAIL_TEMPLATES)].format(n=address), "e-post", address, "e-post")
    for kind, rows in CATEGORY.items():
        for text, match in rows:
            add(text, kind if match else None, match, kind)
    for text in PLAIN:
        add(text)
    for i in range(3):
        for template in NEAR_MISS:
            text = template.format(
                o8=f"{rng.randint(10000000, 99999999)}",
                o11=f"{rng.randint(10**10, 10**11 - 1)}",
                kid=f"{rng.randint(10**12, 10**13 - 1)}",
                date=f"{rng.randint(1, 28):02d}.{rng.randint(1, 12):02d}.{rng.randint(2020, 2027)}",
                date2=f"{rng.randint(1, 28)}. mai {rng.randint(2020, 2027)}",
                bad=split(broken(identity()), i),
                badacc=acc_fmt(bad_account(), i),
            )
            add(text, group="nestentreff")
    # Free-form comments, not from the templates above (written after the rules: the held-out check).
    free = [
        ("Personnr. til mor er {id} om dere trenger det til søknaden", "fodselsnummer", "{id}"),
        ("hei!! sønnen min {id} har ikke fått skoleskyss enda, hva skjer???", "fodselsnummer", "{id}"),
        ("Eg ringde 915 55 555 tre gonger utan svar", "telefon", "915 55 555"),
        ("Tlf.nr 22 22 22 22, spør etter Liv", "telefon", "22 22 22 22"),
        ("Ta kontakt på 0047 915 55 555 om du har funne katten", "telefon", "0047 915 55 555"),
        ("mailen min er ola.nordmann(at)gmail.com", "e-post", "ola.nordmann(at)gmail.com"),
        ("Skriv til meg: KARI.N@ONLINE.NO", "e-post", "KARI.N@ONLINE.NO"),
        ("Vi fikk ADHD-diagnose i fjor og venter fortsatt", "helse", "ADHD-diagnose"),
        ("Jeg går til psykolog hver uke og klarer ikke møtet", "helse", "psykolog"),
        ("Dattera mi går på BUP og treng fri", "helse", "BUP"),
        ("Far ligger på sykehjemmet med slag", "helse", "slag"),
        ("Mor er blind og kan ikke lese brevet", "helse", "blind"),
        ("Eg har fått uførepensjon og har ikkje råd", "sosialtjeneste", "uførepensjon"),
        ("Vi har hatt besøk av barnevernstjenesten to ganger", "barnevern", "barnevernstjenesten"),
        ("Fosterforeldrene hans vil ikke svare", "barnevern", "Fosterforeldrene"),
        ("Som muslim ber jeg om halal-mat i barnehagen", "religion", "muslim"),
        ("Han er homofil, og det har ingenting med saken å gjøre", "seksuell-orientering", "homofil"),
        ("Hun satt inne for narkotika i fjor", "straffesak", "satt inne"),
        ("Bestillingsnummer {id} gjelder søppeldunken", None, None),
        ("Saksnr. 2026/1042 – høring", None, None),
        ("Den 17.05.2025 var det fint vær", None, None),
        ("Fjordvik IL vant 4-1 i går!", None, None),
        ("Prisen er 1 250 kroner per plass", None, None),
        ("Vi var 40 55 barn på leir", None, None),
        ("Ring Servicetorget hvis du lurer på noe", None, None),
        ("Kreftforeningen har stand på torget lørdag", None, None),
        ("Barnevernsdagen markeres i kulturhuset", None, None),
        ("Sykehuset har ny parkering", None, None),
        ("Diabetesforbundet inviterer til turmarsj", None, None),
        ("Skolen skal ha fagdag om religion og livssyn", None, None),
    ]
    for text, kind, match in free:
        number = identity()
        text, match = text.replace("{id}", number), (match or "").replace("{id}", number) or None
        add(text, kind, match, "fri")
    # a few comments with two hits
    for i in range(10):
        n, a = split(identity(), i), acc_fmt(account(), i)
        text = f"Fnr {n}, og pengene kan gå til {a}. Mvh Kari"
        entries.append({"group": "flere", "text": text,
                        "expect": [{"kind": "fodselsnummer", "match": n}, {"kind": "kontonummer", "match": a}]})
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(entries, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"{len(entries)} kommentarer skrevet til {OUT}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
