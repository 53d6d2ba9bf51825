# Posture Agent: y geiriau y mae pobl yn eu darllen, yn Gymraeg.
#
# Same ids and variables as ../en/posture-agent.ftl (the parity tests check
# both). Every message carries a comment: `# source:` when its words come
# from published Welsh terminology or usage, `# needs-review:` with the
# reason otherwise; docs/l10n/cy-needs-review.md is generated from the
# latter. Menu paths (Settings → ...) stay in English on purpose: Android,
# iOS and macOS show no Welsh interface, so they are the words on screen.

## Enwau rheolau

# needs-review: own translation; "system weithredu" is common usage, not checked against TermCymru
rule-os-version = fersiwn y system weithredu
# needs-review: "clwt" for a software patch is own choice
rule-security-patch = clwt diogelwch
# needs-review: own translation ("amgryptio", cf. "amgryptiad" in Aberystwyth University's Welsh IT regulations)
rule-storage-encryption = amgryptio'r storfa
# needs-review: own translation
rule-screen-lock = clo sgrin
# needs-review: own translation
rule-auto-lock = cloi awtomatig
# needs-review: own translation
rule-developer-mode = modd datblygwr
# needs-review: "dadfygio" for debugging is own choice
rule-usb-debugging = dadfygio USB
# source: "uniondeb ein systemau" (integrity of our systems), police.uk Welsh privacy notice
rule-integrity = uniondeb
# needs-review: own translation
rule-assurance = lefel sicrwydd
# needs-review: "ardystio" for attestation is own choice
rule-attestation-pin = pin ardystio

## Dyfarniadau a chanlyniadau

# needs-review: own translation of a compliance headline
compliance-compliant = YN CYDYMFFURFIO
# needs-review: own translation
compliance-warning = RHYBUDD: yn cydymffurfio am y tro, ond mae angen sylw ar rywbeth
# needs-review: own translation
compliance-non-compliant = DDIM YN CYDYMFFURFIO
# needs-review: own translation of a one-word status
outcome-fail = METHU
# needs-review: own translation of a one-word status
outcome-warn = RHYBUDD
# needs-review: own translation of a one-word status
outcome-pass = iawn
# needs-review: "amh." (amherthnasol) as the abbreviation for n/a
outcome-not-applicable = amh.

## Camau i'w cymryd

# needs-review: own translation; menu labels kept in English as the device shows them
remediation-update-path = { $platform ->
    [android] Agorwch Settings → System → Software update (ar Samsung: Settings → Software update) a gosodwch bob diweddariad a gynigir.
    [ios] Agorwch Settings → General → Software Update a gosodwch y diweddariad diweddaraf.
    [macos] Agorwch System Settings → General → Software Update a gosodwch y diweddariad diweddaraf.
    [windows] Agorwch Settings → Windows Update, dewiswch Check for updates a gosodwch bopeth a gynigir, yna ailgychwynnwch.
   *[linux] Gosodwch ddiweddariadau eich dosbarthiad (er enghraifft `sudo apt update && sudo apt full-upgrade`), neu uwchraddiwch i ryddhad a gefnogir.
}
# needs-review: own translation; "yr ymddiriedolaeth" for the NHS trust
remediation-os-version = Mae eich dyfais yn rhedeg { $observed }; mae ar yr ymddiriedolaeth angen { $needed } neu fersiwn mwy diweddar. { $update }
# needs-review: own translation; "diweddariadau diogelwch" as used by Dyfed-Powys Police's Welsh cyber-crime advice
remediation-os-no-updates = Os na chynigir diweddariad, nid yw'r ddyfais hon yn cael diweddariadau diogelwch mwyach: siaradwch â'r adran TG am ddyfais newydd yn ei lle.
# needs-review: own translation
remediation-security-patch = Mae eich clwt diogelwch yn dyddio o { $patch }; mae ar yr ymddiriedolaeth angen { $oldest } neu un mwy diweddar. { $update }
# needs-review: own translation; menu labels kept in English as the device shows them
remediation-storage-encryption = { $platform ->
    [android] Nid yw eich storfa wedi'i hamgryptio. Gosodwch PIN, patrwm neu gyfrinair i gloi'r sgrin (Settings → Security → Screen lock): mae Android yn amgryptio eich data ag ef. Os nad yw hynny'n helpu, mae eich ffôn yn rhy hen i amgryptio ei storfa.
    [ios] Nid yw eich data wedi'i ddiogelu. Gosodwch god pas: Settings → Face ID & Passcode (neu Touch ID & Passcode) → Turn Passcode On. Mae iPhone yn amgryptio eich data ag ef.
    [macos] Nid yw eich disg wedi'i hamgryptio. Trowch FileVault ymlaen: System Settings → Privacy & Security → FileVault → Turn On, a chadwch yr allwedd adfer yn rhywle diogel.
    [windows] Nid yw eich disg wedi'i hamgryptio. Trowch amgryptio ymlaen: Settings → Privacy & security → Device encryption (neu BitLocker drive encryption yn Control Panel), a chadwch yr allwedd adfer yn eich cyfrif.
   *[linux] Nid yw eich disg wedi'i hamgryptio. Ar Linux mae hyn yn golygu ailosod y system gydag amgryptio disg llawn (LUKS): gwnewch gopi wrth gefn o'ch ffeiliau yn gyntaf, neu gofynnwch i'r adran TG am help.
}
# needs-review: own translation; menu labels kept in English as the device shows them
remediation-screen-lock = { $platform ->
    [android] Gosodwch glo sgrin: Settings → Security → Screen lock, a dewiswch PIN, patrwm neu gyfrinair (nid Swipe na None).
    [ios] Gosodwch god pas: Settings → Face ID & Passcode (neu Touch ID & Passcode) → Turn Passcode On.
    [macos] Gofynnwch am eich cyfrinair pan fydd y sgrin yn cloi: System Settings → Lock Screen → "Require password after screen saver begins or display is turned off" → Immediately.
    [windows] Gwnewch i Windows ofyn i chi fewngofnodi ar ôl i chi fod i ffwrdd: Settings → Accounts → Sign-in options → "If you've been away, when should Windows require you to sign in again?" → When PC wakes up from sleep, a gosodwch arbedwr sgrin gyda "On resume, display logon screen".
   *[linux] Trowch y clo sgrin awtomatig ymlaen: yn GNOME, Settings → Privacy → Screen Lock → Automatic Screen Lock; yn KDE, System Settings → Screen Locking → Lock screen automatically.
}
# needs-review: own translation; menu labels kept in English as the device shows them
remediation-auto-lock = { $platform ->
    [android] Gwnewch i'ch ffôn gloi'n gynt: Settings → Display → Screen timeout → { $within } neu lai, ac yn Settings → Security → Screen lock (yr olwyn gêr wrth ei ymyl) gosodwch "Lock after screen timeout" i Immediately (ar Samsung: Settings → Lock screen → Secure lock settings → Auto lock when screen turns off → Immediately).
    [ios] Gwnewch i'ch iPhone gloi'n gynt: Settings → Display & Brightness → Auto-Lock → { $within } neu lai (nid Never).
    [macos] Gwnewch i'ch Mac gloi'n gynt: yn System Settings → Lock Screen, gosodwch "Start Screen Saver when inactive" a "Turn display off when inactive" i { $within } neu lai, a "Require password after screen saver begins or display is turned off" i Immediately.
    [windows] Gwnewch i Windows gloi'n gynt: Settings → Personalisation → Lock screen → Screen saver: dewiswch arbedwr sgrin, gosodwch Wait i { $within } neu lai a ticiwch "On resume, display logon screen".
   *[linux] Gwnewch i'ch sgrin gloi'n gynt: yn GNOME, Settings → Power → Screen Blank → { $within } neu lai, a Settings → Privacy → Screen Lock → Automatic Screen Lock ymlaen gydag oedi byr; yn KDE, System Settings → Screen Locking → "Lock screen automatically" ar ôl { $within } neu lai.
}
# needs-review: own translation; menu labels kept in English as the device shows them
remediation-developer-mode = { $platform ->
    [ios] Trowch Developer Mode i ffwrdd: Settings → Privacy & Security → Developer Mode → off, yna ailgychwynnwch.
   *[other] Trowch yr opsiynau datblygwr i ffwrdd: Settings → System → Developer options → diffoddwch "Use developer options".
}
# needs-review: own translation; menu labels kept in English as the device shows them
remediation-usb-debugging = Trowch ddadfygio USB i ffwrdd: Settings → System → Developer options → USB debugging → off (neu trowch yr opsiynau datblygwr i ffwrdd yn llwyr).
# needs-review: own translation; "rooted" and "jailbroken" have no published Welsh term found
remediation-integrity = Mae'r ddyfais hon yn dangos arwyddion o system wedi'i haddasu ({ $indicators }). Ni ellir diogelu data gwaith ar ddyfais sydd wedi'i rootio, ei jailbreakio neu ei haddasu. Adferwch feddalwedd y gwneuthurwr, neu cysylltwch â'r adran TG.
# needs-review: own translation
remediation-unknown = Nid oedd yr asiant yn gallu gwirio { $what } ar y ddyfais { $device } hon. Os ydych chi'n credu bod hyn yn anghywir, cysylltwch â'r adran TG a dyfynnwch y canfyddiad hwn.
# needs-review: own translation
remediation-before-deadline = { $remediation } Gwnewch hyn cyn { $date }, os gwelwch yn dda.

## Yr hyn na ellid ei wirio ($what yn remediation-unknown)

# needs-review: own translation
check-subject-os = fersiwn eich system weithredu
# needs-review: own translation
check-subject-os-version = fersiwn eich system
# needs-review: own translation
check-subject-security-patch = lefel eich clwt diogelwch
# needs-review: own translation
check-subject-storage-encryption = a yw eich storfa wedi'i hamgryptio
# needs-review: own translation
check-subject-screen-lock = a oes clo sgrin wedi'i osod
# needs-review: own translation
check-subject-auto-lock = pa mor fuan y mae eich sgrin yn cloi ar ei phen ei hun
# needs-review: own translation
check-subject-developer-mode = a yw'r modd datblygwr ymlaen
# needs-review: own translation
check-subject-usb-debugging = a yw dadfygio USB ymlaen
# source: "uniondeb ein systemau", police.uk Welsh privacy notice
check-subject-integrity = uniondeb eich system

## Cyfnodau amser

# needs-review: "eiliad" after a numeral by the same rule as "10 munud"; not found in a published text
span-seconds = { $n } eiliad
# source: "yn dod i ben wedi 10 munud", IICSA Welsh cookie notice
span-minutes = { $n } munud
# needs-review: word order of minutes then seconds
span-minutes-seconds = { $minutes } { $seconds }

## Rhestr preifatrwydd: beth sy'n gadael y ddyfais, a pham

# needs-review: own translation of the summary
privacy-summary = Mae ap eich sefydliad yn defnyddio Posture Agent i wirio bod y ddyfais hon yn ddiogel ar gyfer data gwaith: ei bod yn gyfredol, wedi'i hamgryptio ac wedi'i chloi. Dim ond y gosodiadau diogelwch hynny, a dyfarniad yr asiant ei hun arnyn nhw, y mae'n eu hanfon at y sefydliad, gyda dynodwyr ar hap a wnaed ar gyfer y cofrestriad hwn. Nid yw byth yn gweld eich data personol.
# needs-review: "cais cofrestru" for enrolment request is own choice
privacy-payload-enrol = cais cofrestru
# needs-review: own translation
privacy-payload-token-header = pennyn y tocyn
# needs-review: own translation
privacy-payload-report = adroddiad ystum
# needs-review: own translation
privacy-payload-request = cais gan y ddyfais
# needs-review: own translation
privacy-category-device-security = Gosodiadau diogelwch y ddyfais
# needs-review: own translation
privacy-category-verdict = Dyfarniad y ddyfais ei hun
# needs-review: "dynodwr" as in the IICSA Welsh cookie notice; "ar hap" own choice
privacy-category-random-identifier = Dynodwyr ar hap
# needs-review: "allwedd" for a cryptographic key is own choice
privacy-category-public-key = Hanner cyhoeddus allwedd y ddyfais
# needs-review: own translation
privacy-category-attestation = Tystiolaeth bod yr allwedd a'r ap yn ddilys
# needs-review: own translation
privacy-category-app-info = Enw a fersiwn yr asiant
# needs-review: own translation
privacy-category-protocol = Manylion trin y negeseuon

# needs-review: own translation
privacy-enrol-code-what = Y cod cofrestru untro a roddodd eich sefydliad i chi.
# needs-review: own translation
privacy-enrol-code-why = Mae'n profi bod gwahoddiad i gofrestru; mae'r casglwr yn ei dderbyn unwaith.
# needs-review: own translation
privacy-public-key-what = Hanner cyhoeddus allwedd a wnaed ar y ddyfais hon ar gyfer y cofrestriad hwn.
# needs-review: own translation
privacy-public-key-why = Mae'r sefydliad yn gwirio llofnod pob adroddiad ag ef. Nid yw'r hanner preifat byth yn gadael y ddyfais.
# needs-review: own translation
privacy-key-thumbprint-what = Ôl bys o'r allwedd gyhoeddus honno.
# needs-review: own translation
privacy-key-thumbprint-why = Mae'n dweud wrth y casglwr pa allwedd a lofnododd neges.
# needs-review: own translation
privacy-key-attestation-what = Ar Android, y tystysgrifau y mae caledwedd diogel y ffôn yn eu rhoi ar gyfer allwedd y ddyfais.
# needs-review: own translation
privacy-key-attestation-why = Maen nhw'n dangos bod yr allwedd yn cael ei chadw mewn caledwedd diogel ar ddyfais ddilys.
# needs-review: own translation
privacy-key-attestation-fresh-what = Ar Android, pan fydd y sefydliad yn gofyn, set newydd o'r tystysgrifau hynny ar gyfer allwedd untro.
# needs-review: own translation
privacy-key-attestation-fresh-why = Maen nhw'n dangos bod y ddyfais yn dal yn ddilys ac yn gyfredol, heb ddynodwr hirhoedlog.
# needs-review: own translation
privacy-app-attest-what = Ar iPhone, tystiolaeth App Attest Apple ar gyfer allwedd a wnaed ar gyfer y cofrestriad hwn.
# needs-review: own translation
privacy-app-attest-why = Mae'n dangos bod yr adroddiad yn dod o'r ap dilys ar iPhone dilys.
# needs-review: own translation
privacy-app-attest-assertion-what = Ar iPhone, llofnod App Attest dros bob adroddiad.
# needs-review: own translation
privacy-app-attest-assertion-why = Mae'n dangos bod pob adroddiad yn dod o'r ap a gofrestrodd.
# needs-review: own translation
privacy-platform-what = Y math o ddyfais: Android, iOS, Linux, macOS neu Windows.
# needs-review: own translation
privacy-platform-why = Mae'r polisi yn gofyn pethau gwahanol gan bob platfform.
# needs-review: own translation
privacy-agent-version-what = Enw a fersiwn yr asiant.
# needs-review: own translation
privacy-agent-version-why = Mae'r casglwr yn darllen pob adroddiad yn y ffordd y mae'r fersiwn honno'n ei ysgrifennu.
# needs-review: own translation
privacy-token-format-what = Fformat y neges a'i llofnod.
# needs-review: own translation
privacy-token-format-why = Mae'r casglwr yn gwirio bod y neges yn un y mae'n ei deall a'i bod wedi'i llofnodi fel sy'n ofynnol.
# needs-review: own translation
privacy-nonce-what = Her ar hap a anfonodd y casglwr ar gyfer yr adroddiad neu'r cais hwn.
# needs-review: own translation
privacy-nonce-why = Mae'n profi bod yr adroddiad yn ffres ac na ellir ei ailchwarae yn nes ymlaen.
# needs-review: own translation
privacy-token-times-what = Pryd y gwnaed y neges a phryd y mae'n peidio â bod yn ddilys.
# needs-review: own translation
privacy-token-times-why = Gwrthodir negeseuon hen neu rai ag amser yn y dyfodol.
# needs-review: own translation
privacy-token-id-what = Dynodwr ar hap ar gyfer y neges hon.
# needs-review: own translation
privacy-token-id-why = Os anfonir neges ddwywaith, caiff ei chadw unwaith.
# needs-review: own translation
privacy-device-id-what = Y dynodwr dyfais ar hap a roddodd y casglwr i'r cofrestriad hwn.
# needs-review: own translation
privacy-device-id-why = Mae'n cysylltu eich adroddiadau â'ch cofrestriad. Gwneir un newydd bob tro y byddwch yn cofrestru; nid dynodwr caledwedd mohono.
# needs-review: own translation
privacy-request-purpose-what = Beth y mae cais gan y ddyfais yn gofyn amdano: her newydd, neu ddadgofrestru.
# needs-review: own translation
privacy-request-purpose-why = Ni ellir defnyddio cais a wnaed at un diben ar gyfer y llall.
# needs-review: own translation
privacy-os-what = Enw, fersiwn ac adeiledd y system weithredu.
# needs-review: own translation; "diweddariadau diogelwch" as used by Dyfed-Powys Police's Welsh advice
privacy-os-why = Mae'r polisi yn gofyn am fersiwn sy'n dal i gael diweddariadau diogelwch.
# needs-review: own translation
privacy-os-kernel-what = Fersiwn y cnewyllyn (cyfrifiaduron; ar ffonau nid yw'n hysbys fel arfer).
# needs-review: own translation
privacy-os-kernel-why = Mae'n dangos pa atgyweiriadau diogelwch sydd gan system cyfrifiadur.
# needs-review: own translation
privacy-security-patch-what = Dyddiad clwt diogelwch Android.
# needs-review: own translation
privacy-security-patch-why = Mae'r polisi yn gofyn am glwt diogelwch diweddar.
# needs-review: own translation
privacy-storage-encryption-what = A yw storfa'r ddyfais wedi'i hamgryptio, a sut.
# needs-review: own translation
privacy-storage-encryption-why = Rhaid i ddata gwaith fod wedi'i amgryptio os collir y ddyfais.
# needs-review: own translation; "cyfrinair" as in Citizens Advice Cymru and Hwb
privacy-screen-lock-what = A oes PIN, cyfrinair neu batrwm yn diogelu'r ddyfais.
# needs-review: own translation
privacy-screen-lock-why = Rhaid cloi data gwaith rhag pwy bynnag sy'n codi'r ddyfais.
# needs-review: own translation
privacy-auto-lock-what = Pa mor fuan y mae'r sgrin yn cloi ar ei phen ei hun.
# needs-review: own translation
privacy-auto-lock-why = Mae dyfais sy'n cael ei gadael heb ei chloi yn datgelu data gwaith.
# needs-review: own translation
privacy-developer-settings-what = A yw'r opsiynau datblygwr a dadfygio USB ymlaen.
# needs-review: own translation
privacy-developer-settings-why = Maen nhw'n gadael i feddalwedd arall osgoi amddiffyniadau'r ddyfais.
# needs-review: own translation
privacy-integrity-what = Arwyddion o system sydd wedi'i rootio, ei jailbreakio neu ei haddasu, pob un wedi'i wirio wrth ei enw.
# needs-review: own translation
privacy-integrity-why = Ni ellir diogelu data gwaith ar system wedi'i haddasu.
# needs-review: own translation
privacy-hardware-key-store-what = A oes gan y ddyfais galedwedd diogel ar gyfer allweddi.
# needs-review: own translation
privacy-hardware-key-store-why = Ni ellir copïo allweddi sydd mewn caledwedd diogel oddi ar y ddyfais.
# needs-review: own translation; "Secure Boot" kept as the firmware's English name
privacy-secure-boot-what = A yw Secure Boot ymlaen (cyfrifiaduron).
# needs-review: own translation
privacy-secure-boot-why = Mae'n atal meddalwedd wedi'i haddasu rhag cychwyn.
# needs-review: own translation
privacy-tpm-what = A oes sglodyn diogelwch (TPM), a'i fersiwn (cyfrifiaduron).
# needs-review: own translation
privacy-tpm-why = Mae'n diogelu allweddi ac amgryptio ar gyfrifiadur.
# needs-review: own translation
privacy-verdict-what = Dyfarniad yr asiant ei hun ar y gosodiadau hynny: canlyniad pob rheol, yr hyn a welodd a'r cyngor a roddodd i chi.
# needs-review: own translation
privacy-verdict-why = Gall y sefydliad weld yr hyn a ddywedwyd wrthych; mae'n gwirio'r gosodiadau eto ei hun.

# needs-review: own translation; "dynodwr" as in the IICSA Welsh cookie notice
privacy-never-imei = IMEI na dynodwyr caledwedd eraill
# needs-review: own translation
privacy-never-serial = rhifau cyfresol
# needs-review: own translation
privacy-never-mac = cyfeiriadau MAC
# needs-review: own translation; "enw defnyddiwr" as in Citizens Advice Cymru and Hwb
privacy-never-names = enw'r ddyfais na'ch enw defnyddiwr
# needs-review: own translation
privacy-never-phone = rhifau ffôn
# source: "cyfrifon" (accounts), Aberystwyth University's Welsh password rules and Hwb
privacy-never-accounts = cyfrifon
# source: "lleoliad" (location), police.uk Welsh privacy notice
privacy-never-location = lleoliad
# needs-review: own translation
privacy-never-contacts = cysylltiadau
# needs-review: own translation
privacy-never-apps = y rhestr o apiau
# needs-review: own translation; "pori" (browsing) as in the police.uk Welsh privacy notice
privacy-never-browsing = hanes pori
# needs-review: own translation
privacy-never-files = ffeiliau, lluniau na negeseuon

# needs-review: own translation
privacy-leaflet-title = Beth y gall eich sefydliad ei weld
# needs-review: own translation
privacy-leaflet-generated = Wedi'i gynhyrchu o restr preifatrwydd yr asiant gan `{ $command }`: peidiwch â'i olygu â llaw.
# needs-review: own translation
privacy-leaflet-sent = Beth sy'n cael ei anfon
# needs-review: own translation, after the heading "Pa wybodaeth rydym yn ei chasglu?" of Digital Health and Care Wales' Welsh privacy notice
privacy-leaflet-never = Beth nad yw byth yn cael ei gasglu
# needs-review: own translation
privacy-leaflet-rights = Beth y gallwch chi ei wneud
# needs-review: own translation
privacy-leaflet-rights-preview = Gweld yr union adroddiad cyn iddo gael ei anfon: mae rhagolwg yr ap (neu `posture-agent preview`) yn ei ddangos, ac nid oes dim yn cael ei anfon.
# needs-review: own translation
privacy-leaflet-rights-unenrol = Dadgofrestru unrhyw bryd: mae allwedd y ddyfais a phopeth y mae'r asiant yn ei gadw ar y ddyfais yn cael eu dileu, a dywedir wrth y casglwr am dynnu'r ddyfais.
# needs-review: own translation
privacy-leaflet-rights-organisation = Dim ond yr hyn a restrir yma y mae eich sefydliad yn ei weld. Gofynnwch iddyn nhw am ba hyd y maen nhw'n ei gadw.
