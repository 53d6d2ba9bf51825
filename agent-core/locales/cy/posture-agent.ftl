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
# needs-review: own translation of the leaflet's review note
privacy-leaflet-review = Mae'r Gymraeg yn y daflen hon yn aros i siaradwr Cymraeg ei hadolygu: tan hynny, y daflen Saesneg yw'r un i ddibynnu arni.

## Canfyddiadau: yr hyn a ddangosodd y ddyfais ($observed) a'r hyn sydd ei angen ar y polisi ($requirement)

# needs-review: own translation
finding-not-applicable = heb ei wirio ar { $device }
# needs-review: own translation; the reason after it is the device's, in Welsh where the core has the words (reason-...)
finding-unknown = anhysbys: { $reason }
# needs-review: own translation
finding-os-unidentified = nid oedd modd adnabod y system weithredu ({ $reason })
# needs-review: own translation; "isafswm fersiwn" for minimum version is own choice
finding-os-no-minimum-like = nid yw'r polisi yn gosod isafswm fersiwn ar gyfer { $os } na'r hyn y mae'n debyg iddo ({ $like })
# needs-review: own translation; "isafswm fersiwn" for minimum version is own choice
finding-os-no-minimum = nid yw'r polisi yn gosod isafswm fersiwn ar gyfer { $os }
# needs-review: own translation
finding-os-supported-release = rhyddhad a gefnogir
# needs-review: word order of the system's name then its minimum
finding-os-requirement = { $os } { $minimums }
# needs-review: own translation
finding-os-requirement-like = { $os } { $minimums } (yr isafswm ar gyfer { $like })
# needs-review: own translation
finding-os-minimum-none = (dim isafswm)
# needs-review: own translation
finding-os-minimum = { $version } neu fwy diweddar
# needs-review: own translation; "llinell ryddhau" for release line is own choice
finding-os-minimums = { $versions } neu fwy diweddar ar ei linell ryddhau
# needs-review: own translation
finding-os-version-not-number = nid yw'r fersiwn { $version } yn rhif
# needs-review: word order of the system's name then its version
finding-os-observed = { $os } { $version }
# needs-review: "clwt" for a software patch is own choice
finding-patch-requirement = clwt diogelwch { $oldest } neu fwy diweddar
# needs-review: "clwt" for a software patch is own choice
finding-patch-observed = clwt diogelwch { $patch }
# needs-review: own translation
finding-storage-requirement = storfa wedi'i hamgryptio
# needs-review: own translation
finding-storage-encrypted = wedi'i hamgryptio ({ $method })
# needs-review: own translation
finding-storage-not-encrypted = heb ei hamgryptio
# needs-review: own translation
finding-screen-lock-requirement = clo sgrin diogel
# needs-review: own translation
finding-screen-lock-set = clo sgrin wedi'i osod
# needs-review: own translation
finding-screen-lock-not-set = dim clo sgrin diogel
# needs-review: own translation
finding-auto-lock-requirement = clo sgrin awtomatig o fewn { $within }
# needs-review: own translation
finding-auto-lock-never = nid yw byth yn cloi ar ei phen ei hun
# needs-review: own translation
finding-auto-lock-after = yn cloi ar ôl { $span }
# needs-review: own translation
finding-developer-mode-off = modd datblygwr i ffwrdd
# needs-review: own translation
finding-developer-mode-on = modd datblygwr ymlaen
# needs-review: "dadfygio" for debugging is own choice
finding-usb-debugging-off = dadfygio USB i ffwrdd
# needs-review: "dadfygio" for debugging is own choice
finding-usb-debugging-on = dadfygio USB ymlaen
# needs-review: own translation; "rooted" and "jailbroken" have no published Welsh term found
finding-integrity-requirement = dim arwydd o system wedi'i rootio, ei jailbreakio neu ei haddasu
# needs-review: own translation; "dangosydd" for indicator is own choice
finding-integrity-none-reported = ni adroddwyd unrhyw ddangosyddion uniondeb
# needs-review: "sbarduno" for a tripped indicator is own choice
finding-integrity-tripped = wedi'u sbarduno: { $indicators }
# needs-review: own translation
finding-integrity-could-not-check = nid oedd modd gwirio { $indicators }
# needs-review: own translation; singular noun after the numeral as in "10 munud"
finding-integrity-checked = { $n ->
    [one] { $n } dangosydd wedi'i wirio, heb ei sbarduno
   *[other] { $n } dangosydd wedi'u gwirio, dim un wedi'i sbarduno
}

## Strategaethau adfer

# needs-review: own translation of Kolide's strategy name
strategy-report-only = adrodd yn unig
# needs-review: own translation of Kolide's strategy name
strategy-notify-only = hysbysu yn unig
# needs-review: own translation of Kolide's strategy name
strategy-warn-then-block = rhybuddio yna rhwystro
# needs-review: own translation of Kolide's strategy name
strategy-block = rhwystro
# needs-review: own translation
strategy-note-warn-then-block = rhybuddio yna rhwystro: o { $date } ymlaen bydd y ddyfais hon yn cyfrif fel un nad yw'n cydymffurfio
# needs-review: own translation
strategy-note-notify-only = hysbysu yn unig: nodyn atgoffa; nid yw byth yn gwneud i'r ddyfais hon beidio â chydymffurfio

## Oriau tawel

# needs-review: own translation; "oriau tawel" for quiet hours is own choice
notify-reason-no-working-hours = nid oes oriau gwaith wedi'u gosod, felly nid oes oriau tawel
# needs-review: own translation
notify-reason-within = o fewn eich oriau gwaith
# needs-review: own translation
notify-reason-outside = y tu allan i'ch oriau gwaith: mae'r asiant yn aros yn dawel nes iddyn nhw ddechrau
# needs-review: own translation, with the sentence turned round
quiet-hours-error-time = { $field ->
    [start] amser dechrau
   *[end] amser gorffen
} { $value }: nid yw'n amser o'r dydd; ysgrifennwch ef fel HH:MM, 00:00 i 23:59
# needs-review: own translation
quiet-hours-error-empty = mae oriau gwaith o { $time } i { $time } yn wag: rhowch amser gorffen gwahanol
# needs-review: "cylchfa amser" for time zone is own choice
quiet-hours-error-time-zone = nid yw { $zone } yn gylchfa amser hysbys: rhowch enw IANA fel Europe/London
# needs-review: own translation
quiet-hours-error-outside-bounds = mae'r oriau gwaith { $hours } y tu allan i'r hyn y mae eich sefydliad yn ei ganiatáu ({ $allowed }): dewiswch oriau o'u mewn
# needs-review: own translation; singular "awr" after the numeral
quiet-hours-error-too-long = mae'r oriau gwaith { $hours } yn hirach na'r { $max } awr y mae eich sefydliad yn eu caniatáu: dewiswch ddiwrnod byrrach
# needs-review: own translation
quiet-hours-no-hours = dim oriau
# needs-review: own translation
quiet-hours-set = Oriau gwaith wedi'u gosod: { $start } i { $end } bob dydd, amser { $zone }. Dim ond o'u mewn y mae'r asiant yn eich annog.
# needs-review: own translation
quiet-hours-cleared = Oriau gwaith wedi'u clirio: dim oriau tawel.
# needs-review: own translation
quiet-hours-show = Oriau gwaith: { $start } i { $end } bob dydd, amser { $zone }
# needs-review: own translation
quiet-hours-show-none = Oriau gwaith: heb eu gosod
# needs-review: own translation; the yes/no answer form is own choice
quiet-hours-prompts-yes = Annog nawr: ydy ({ $reason })
# needs-review: own translation; the yes/no answer form is own choice
quiet-hours-prompts-no = Annog nawr: nac ydy ({ $reason })
# needs-review: own translation
quiet-hours-next-allowed = Caniateir yr anogaeth nesaf: { $at }
# needs-review: own translation
quiet-hours-quiet-from = Tawel o: { $at }

## Gwiriadau a statws

# needs-review: own translation
checkin-silent = Wedi aros yn dawel: { $reason }{ $next }. Fe redodd y gwiriad ac fe'i hadroddwyd; mae'r ddyfais hon { $state }. Mae `posture-agent status` yn dangos y manylion.
# needs-review: own translation
checkin-silent-next = ; caniateir yr anogaeth nesaf o { $at }
# needs-review: own translation
checkin-state-compliant = yn cydymffurfio
# needs-review: own translation
checkin-state-warning = yn cydymffurfio, gyda rhybuddion
# needs-review: own translation
checkin-state-non-compliant = ddim yn cydymffurfio
# needs-review: own translation; "casglwr" for the collector is own choice
checkin-collector-verdict-current = Dyfarniad y casglwr (adroddiad cyfredol):
# needs-review: own translation; "casglwr" for the collector is own choice
checkin-collector-verdict-historical = Dyfarniad y casglwr (adroddiad hanesyddol):
# needs-review: own translation
checkin-own-verdict = Dyfarniad y ddyfais hon ei hun (heb ei gadarnhau gan y casglwr eto):
# needs-review: own translation; "nonce" kept as the protocol's word
checkin-no-fresh-nonce = Dim nonce ffres gan y casglwr: bydd yr adroddiad hwn yn cyfrif fel tystiolaeth hanesyddol, nid fel cydymffurfiaeth gyfredol.
# needs-review: own translation; "adolygiad" for a policy revision is own choice
verdict-policy = (polisi "{ $name }", adolygiad { $revision })
# needs-review: own translation
verdict-needs = (angen { $requirement })
# needs-review: own translation
status-collector-verdict = Dyfarniad diwethaf y casglwr (am { $at }):
# needs-review: own translation
status-own-verdict = Dyfarniad diwethaf y ddyfais hon ei hun:

## Gwallau y mae pobl yn eu gweld

# needs-review: own translation; "cod untro" for one-time code is own choice
error-not-enrolled = nid yw'r ddyfais hon wedi'i chofrestru; cofrestrwch hi yn gyntaf gyda chod untro gan eich sefydliad
# needs-review: own translation
error-already-enrolled = mae'r ddyfais hon eisoes wedi'i chofrestru gyda { $server }; dadgofrestrwch hi yn gyntaf i gofrestru eto

## Tabl ystum y CLI a chyfrif anfon

# needs-review: own translation; "ystum" for posture as in privacy-payload-report
table-posture-title = Ystum y ddyfais hon ({ $platform }), wedi'i gasglu { $at } gan asiant { $version }
# needs-review: own translation
table-header-fact = FFAITH
# needs-review: own translation
table-header-value = GWERTH
# needs-review: own translation
table-header-source = FFYNHONNELL / RHESWM
# needs-review: own translation; "system weithredu" is common usage, not checked against TermCymru
table-fact-os = system weithredu
# needs-review: own translation; "dynodwr" as in the IICSA notice
table-fact-os-id = dynodwr y system
# needs-review: own translation
table-fact-os-version = fersiwn y system
# needs-review: own translation; "adeiledd" for a build is own choice
table-fact-os-build = adeiledd y system
# needs-review: own translation
table-fact-kernel = cnewyllyn
# needs-review: own translation; "clwt" as in reason-ios-no-patch-level
table-fact-security-patch = clwt diogelwch
# needs-review: own translation; "amgryptio" as in Aberystwyth University's IT regulations
table-fact-storage-encryption = amgryptio'r storfa
# needs-review: own translation
table-fact-screen-lock = clo sgrin
# needs-review: own translation
table-fact-auto-lock = cloi awtomatig
# needs-review: own translation
table-fact-developer-mode = modd datblygwr
# needs-review: own translation; "dadfygio" for debugging is own choice
table-fact-usb-debugging = dadfygio USB
# needs-review: punctuation only: the indicator's name is the wire's, its kind is table-kind-...
table-fact-indicator = { $name } ({ $kind })
# needs-review: own translation
table-kind-heuristic = hewristig
# needs-review: own translation; "ardystio" for attestation is own choice
table-kind-platform-attestation = ardystiad y platfform
# needs-review: own translation
table-fact-hardware-key-store = storfa allweddi caledwedd
# needs-review: the feature's name, kept as the firmware shows it
table-fact-secure-boot = Secure Boot
# needs-review: the chip's name, kept as it is
table-fact-tpm = TPM
# needs-review: own translation; as in finding-unknown
table-value-unknown = anhysbys
# needs-review: own translation
table-value-on = ymlaen
# needs-review: own translation
table-value-off = i ffwrdd
# needs-review: own translation
table-value-encrypted = wedi'i amgryptio ({ $method })
# needs-review: own translation
table-value-not-encrypted = heb ei amgryptio
# needs-review: own translation
table-value-set = wedi'i osod
# needs-review: own translation
table-value-not-set = heb ei osod
# needs-review: own translation; the duration's units (s, min, h, d) stay as they are
table-value-after = ar ôl { $duration }
# needs-review: own translation
table-value-never = byth
# needs-review: own translation
table-value-tripped = WEDI'I SBARDUNO
# needs-review: own translation
table-value-not-tripped = heb ei sbarduno
# needs-review: own translation
table-value-none = dim
# needs-review: own translation
table-value-present-version = yn bresennol (TPM { $version })
# needs-review: own translation
table-value-present = yn bresennol
# needs-review: own translation
table-value-absent = absennol
# needs-review: own translation; a Welsh noun stays singular after a numeral
flush-delivered = Wedi cyflwyno { $n } adroddiad; { $queued } yn dal yn y ciw.
# needs-review: own translation; the collector's reason is quoted as it came
flush-rejected = Gwrthodwyd gan y casglwr a'i dynnu: adroddiad { $jti }: { $reason }
# needs-review: own translation
flush-protocol-errors = Torrodd ateb y casglwr y protocol { $n ->
        [one] unwaith
       *[other] { $n } o weithiau
    } (nid oedd yn cydnabod yr adroddiad); cedwir yr adroddiad.
# needs-review: own translation; the error is quoted as it came
flush-not-delivered = Heb ei gyflwyno nawr (wedi'i gadw i roi cynnig arall arni): { $error }

## Tabl statws y CLI

# needs-review: own translation
status-never = byth
# needs-review: own translation; the command stays as it is typed
status-not-enrolled = Heb ei chofrestru. Cofrestrwch gyda `posture-agent enrol --server URL --code CODE`.
# needs-review: own translation
status-enrolled-with = Wedi'i chofrestru gyda { $server }
# needs-review: own translation; "dynodwr" as in the IICSA notice
status-device-id = dynodwr y ddyfais
# needs-review: own translation
status-device-key = allwedd y ddyfais (kid)
# needs-review: own translation
status-enrolled-at = cofrestrwyd
# needs-review: own translation
status-policy = polisi
# needs-review: own translation; as in verdict-policy
status-policy-value = { $name } (diwygiad { $revision })
# needs-review: own translation
status-checkin-every = gwirio bob
# needs-review: own translation
status-last-checkin = gwiriad diwethaf
# needs-review: own translation
status-queued = adroddiadau yn y ciw
# needs-review: own translation
status-queued-oldest = { $n } (yr hynaf { $at })
# needs-review: own translation
status-evicted = adroddiadau a daflwyd
# needs-review: own translation
status-evicted-value = { $n } (roedd y blwch anfon yn llawn)
# needs-review: own translation
status-wait = cais y casglwr
# needs-review: own translation; Retry-After is the HTTP header's name
status-wait-value = aros tan { $at } (Retry-After)
# needs-review: own translation
status-protocol-errors = gwallau protocol
# needs-review: own translation
status-protocol-errors-value = { $n } (atebion nad oeddent yn cydnabod yr adroddiad; cadwyd yr adroddiadau)
# needs-review: own translation; "ardystio" for attestation is own choice
status-attestation = ardystiad
# needs-review: own translation; the status and assurance are the collector's words
status-attestation-value = { $status } (sicrwydd { $assurance }), yn ddilys tan { $until }{ $expired }; mae `posture-agent compliance-token` yn ei argraffu
# needs-review: own translation
status-attestation-expired = { " " }(wedi dod i ben; gwiriwch i mewn am un newydd)
# needs-review: own translation
status-attestation-no-assurance = heb ei enwi
# needs-review: own translation
status-state-dir = ffolder cyflwr

## Rhesymau pam nad yw ffaith yn hysbys

# needs-review: own translation; "clwt" for a software patch is own choice
reason-ios-no-patch-level = nid oes gan iOS lefel clwt diogelwch fel Android: fersiwn y system weithredu sy'n ei chario
# needs-review: own translation; "Auto-Lock" is Apple's name for the setting
reason-ios-no-auto-lock-api = ni all ap trydydd parti ei ddarllen: nid yw iOS yn rhoi API i apiau ddarllen y gosodiad Auto-Lock
# needs-review: own translation
reason-ios-no-developer-mode-api = nid yw iOS yn rhoi API i apiau ddarllen y modd datblygwr
# needs-review: own translation; "dadfygio" for debugging is own choice
reason-ios-no-usb-debugging = nid oes gan iOS osodiad dadfygio USB
# needs-review: own translation; "ystum" for posture as in privacy-payload-report
reason-auto-lock-not-reported = heb ei adrodd: mae'r asiant a gasglodd yr ystum hwn yn hŷn na'r ffaith auto_lock

# needs-review: own translation
reason-not-read = heb ei ddarllen
# needs-review: punctuation only: the source is a name, the error the platform's (or one of these reasons, shown in Welsh)
reason-source-error = { $source }: { $error }
# needs-review: own translation
reason-could-not-be-read = nid oedd modd darllen { $source }: { $error }
# needs-review: own translation
reason-could-not-be-checked = nid oedd modd gwirio { $source }: { $error }
# needs-review: own translation; "darllenydd" for the app or harness that takes the readings is own choice
reason-not-read-by-reader = nid yw'r darllenydd hwn yn darllen { $source }
# needs-review: own translation
reason-not-set = { $source }: heb ei osod
# needs-review: own translation
reason-failed = methodd { $source }: { $error }
# needs-review: own translation
reason-cannot-read = ni ellir darllen { $path }: { $error }
# needs-review: own translation
reason-cannot-list = ni ellir rhestru { $path }: { $error }
# needs-review: own translation
reason-could-not-run = nid oedd modd rhedeg { $program }: { $error }
# needs-review: own translation; the status is the operating system's words
reason-exited = daeth { $program } i ben gyda { $status }: { $error }
# needs-review: own translation
reason-not-a-known-state = mae { $source } yn { $value }, nid yn gyflwr hysbys
# needs-review: own translation
reason-not-zero-or-one = mae { $source } yn { $value }, nid 0 neu 1
# needs-review: own translation; true and false are the values the API gives, kept as they are
reason-returned-not-true-or-false = dychwelodd { $source } { $value }, nid true neu false
# needs-review: own translation; true and false are the values the API gives, kept as they are
reason-is-not-true-or-false = mae { $source } yn { $value }, nid true neu false
# needs-review: own translation; "clo sgrin" as in the screen-lock messages
reason-subject-screen-lock = y clo sgrin
# needs-review: own translation
reason-subject-su-paths = y llwybrau su
# needs-review: own translation; "jailbreak" kept as the technical name
reason-subject-jailbreak-paths = y llwybrau jailbreak
# needs-review: own translation
reason-android-not-read = heb ei ddarllen ar Android
# needs-review: own translation
reason-android-kernel-not-collected = heb ei gasglu ar Android: nid oes rheol polisi yn ei ddefnyddio
# needs-review: own translation; "uniondeb" for integrity as in the police.uk notice
reason-android-secure-boot-desktop = ffaith cyfrifiadur bwrdd gwaith yw UEFI Secure Boot; gweler y dangosyddion uniondeb
# needs-review: own translation
reason-android-no-tpm = nid oes gan ffonau TPM; gweler hardware_key_store
# needs-review: own translation; the date format is kept as the setting writes it
reason-android-patch-not-a-date = mae { $source } yn { $value }, nid yn ddyddiad YYYY-MM-DD
# needs-review: own translation; "clwt" as in reason-ios-no-patch-level
reason-android-patch-empty = { $reason } (gwag: nid oes gan Android cyn 6.0 lefel clwt diogelwch)
# needs-review: own translation
reason-android-encryption-activating = { $source } ({ $value }): mae amgryptio'n cael ei droi ymlaen ac nid yw wedi'i gwblhau
# needs-review: own translation
reason-android-encryption-status-unknown = dychwelodd { $source } { $value }, nid gwerth ENCRYPTION_STATUS_ hysbys
# needs-review: own translation; "credential" given as PIN, pattern or password, as in the remediation
reason-android-lock-disabled-false = argraffodd { $source } false, y mae AOSP yn ei argraffu ar gyfer clo diogel ac ar gyfer sweipio heb PIN, patrwm na chyfrinair; ni all adb wahaniaethu rhyngddynt heb roi cynnig ar un
# needs-review: own translation
reason-android-lock-disabled-other = argraffodd { $source } { $value }, nid true neu false (nid oes gan Android cyn 8 orchymyn locksettings)
# needs-review: own translation
reason-android-lock-after-unknown = { $reason }; mae'r sgrin yn diffodd ar ôl { $ms } ms, ond ni wyddys pa mor hir y mae'r clo yn aros ar ôl hynny
# needs-review: own translation
reason-android-not-milliseconds = mae { $source } yn { $value }, nid yn nifer o filieiliadau
# needs-review: own translation; "eng" is Android's name for the build type
reason-android-developer-eng-build = nid yw { $source } wedi'i osod, ac mae opsiynau datblygwr ymlaen yn ddiofyn mewn adeiladau eng
# needs-review: own translation
reason-android-developer-build-type-unknown = nid yw { $source } wedi'i osod ac nid yw { $build_type } yn hysbys
# needs-review: own translation; "efelychydd" for emulator is own choice
reason-android-verified-boot-not-read = { $reason } (efelychwyr a dyfeisiau heb gychwyn wedi'i ddilysu)
# needs-review: own translation
reason-android-flash-locked-not-read = { $reason } (efelychwyr a rhai gwerthwyr)
# needs-review: own translation
reason-android-su-paths-failed = nid oedd modd gwirio'r llwybrau su: { $error }
# needs-review: own translation; "ardystio" for attestation is own choice
reason-android-keystore-over-adb = ni ellir ei ddarllen dros adb: dim ond ap (KeyInfo) neu ardystio allweddi sy'n gweld lefel diogelwch y Keystore
# needs-review: own translation
reason-android-hardware-keystore-not-declared = nid yw { $source } wedi'i ddatgan ac nid oes StrongBox; efallai na fydd dyfeisiau a uwchraddiwyd i Android 12 yn ei ddatgan
# needs-review: own translation
reason-android-no-strongbox = dim StrongBox, a chyn Android 12 nid yw'r fframwaith yn datgan Keystore caledwedd
# needs-review: own translation; "unsupported" is the value vold reports, kept
reason-android-observed-cannot-encrypt = { $source } (unsupported: ni all y ddyfais amgryptio)
# needs-review: own translation; "true" is the setting's value, kept
reason-android-observed-lock-screen-disabled = { $source } (true: mae'r sgrin gloi wedi'i hanalluogi)
# needs-review: own translation; "adeiladau" for builds as in reason-android-developer-eng-build
reason-android-observed-developer-off-by-default = { $source } (heb ei osod: i ffwrdd yn ddiofyn mewn adeiladau { $build_type })
# needs-review: own translation
reason-android-observed-no-su = nid oes yr un o'r { $count } llwybr su hysbys yn bodoli
# needs-review: own translation
reason-android-observed-su-found = wedi canfod { $paths }
# needs-review: own translation
reason-android-observed-debuggable-not-set = { $source } (heb ei osod: wedi'i ddarllen fel 0)
# needs-review: own translation
reason-ios-not-read = heb ei ddarllen ar iOS
# needs-review: own translation; "efelychydd" for simulator is own choice
reason-ios-simulator-no-data-protection = nid oes gan efelychydd ddiogelu data ei hun: ffolder ar y Mac yw ei storfa
# needs-review: own translation; "cod pas" for passcode is own choice
reason-ios-simulator-no-passcode = nid oes gan efelychydd god pas i'w adrodd
# needs-review: own translation
reason-ios-simulator-no-jailbreak-checks = mae gwiriadau jailbreak angen y ddyfais ei hun, nid efelychydd
# needs-review: own translation; Secure Enclave is Apple's name
reason-ios-simulator-no-secure-enclave = nid oes gan efelychydd Secure Enclave i'w adrodd
# needs-review: own translation
reason-ios-secure-boot-desktop = ffaith cyfrifiadur bwrdd gwaith yw UEFI Secure Boot
# needs-review: own translation
reason-ios-no-tpm = nid oes gan ffonau TPM
# needs-review: own translation
reason-ios-la-error = methodd { $source }: LAError { $code }
# needs-review: own translation
reason-ios-false-without-error = dychwelodd { $source } false heb wall
# needs-review: own translation; Data Protection is Apple's name
reason-ios-data-protection-passcode = cyflwr y cod pas sy'n penderfynu Data Protection, ac nid oedd modd ei ddarllen: { $reason }
# needs-review: own translation
reason-ios-cydia-not-declared = nid yw'r ap yn rhestru cydia yn LSApplicationQueriesSchemes, felly ni fydd iOS yn ateb
# needs-review: own translation
reason-ios-flag-not-true-or-false = { $source }: { $value }, nid true neu false
# needs-review: own translation
reason-ios-observed-built-for = y platfform yr adeiladwyd y llyfrgell hon ar ei gyfer
# needs-review: own translation; "cod pas" for passcode as in the iOS advice
reason-ios-observed-data-protection = Data Protection, y mae iOS yn ei alluogi pryd bynnag y gosodir cod pas ({ $source })
# needs-review: own translation
reason-ios-observed-no-passcode = { $source }: dim cod pas
# needs-review: own translation
reason-linux-no-patch-level = nid oes gan Linux lefel clwt diogelwch fel Android
# needs-review: own translation
reason-linux-no-developer-mode = nid oes gan gyfrifiaduron bwrdd gwaith Linux osodiad modd datblygwr
# needs-review: own translation
reason-linux-no-usb-debugging = nid oes gan gyfrifiaduron bwrdd gwaith Linux osodiad dadfygio USB
# needs-review: own translation; "rolling release" given in words
reason-linux-no-version-id = nid oes VERSION_ID na VERSION yn { $source } (dosbarthiad sy'n rhyddhau'n barhaus?)
# needs-review: own translation
reason-linux-no-build-id = nid oes BUILD_ID yn { $source }
# needs-review: punctuation only: two reasons, each shown in Welsh where the core has the words
reason-linux-os-release-neither = { $first }; { $second }
# needs-review: own translation; "mownt" is own choice
reason-linux-no-root-mount = nid yw { $source } yn rhestru mownt yn /
# needs-review: own translation
reason-linux-a-device-path = "llwybr dyfais"
# needs-review: own translation; "chwiliedydd" for probe is own choice
reason-linux-root-not-block-device = mae'r system ffeiliau yn / yn { $fs_type } o { $from }, nid yn ddyfais bloc y gall y chwiliedydd hwn ei dilyn (cynhwysydd neu system ffeiliau rhwydwaith?)
# needs-review: own translation; "cadarnwedd" for firmware is own choice
reason-linux-no-efi = dim /sys/firmware/efi: wedi cychwyn heb UEFI, neu mae'r cadarnwedd wedi'i guddio o'r amgylchedd hwn
# needs-review: own translation
reason-linux-device-stack-too-deep = pentwr dyfeisiau yn ddyfnach nag 8 haen
# needs-review: own translation; "dyfais dolen" for loop device is own choice
reason-linux-loop-device = mae / ar ddyfais dolen sydd wedi'i seilio ar ffeil; ni ellir gweld ei amgryptio o'r fan hon
# needs-review: own translation
reason-linux-device-not-in-sys = nid yw'r ddyfais yn /sys/dev/block
# needs-review: own translation
reason-linux-no-graphical-session = dim sesiwn graffigol (nid yw DISPLAY na WAYLAND_DISPLAY wedi'u gosod)
# needs-review: own translation
reason-linux-no-current-desktop = sesiwn graffigol heb XDG_CURRENT_DESKTOP: ni ellir dweud pa raglen cloi sgrin sy'n rhedeg
# needs-review: own translation
reason-linux-desktop-not-read = nid yw'r asiant hwn yn darllen gosodiadau clo sgrin bwrdd gwaith { $desktop }
# needs-review: own translation
reason-linux-gnome-lock-delay = { $source }: { $error } (mae'r sgrin yn diffodd ar ôl { $seconds } eiliad)
# needs-review: own translation
reason-linux-no-home = nid yw HOME wedi'i osod: ni ellir dod o hyd i kscreenlockerrc
# needs-review: own translation; "haen" for layer as in reason-linux-device-stack-too-deep
reason-linux-observed-no-dm-crypt = { $source }: dim haen dm-crypt o dan /
# needs-review: own translation; "dim" as in reason-linux-no-efi
reason-linux-observed-absent = dim { $path }
# needs-review: own translation; "cnewyllyn" for kernel is own choice
reason-linux-observed-no-tpm = dim { $path }: nid yw'r cnewyllyn yn dangos TPM
# needs-review: own translation
reason-linux-observed-tpm-empty = mae /sys/class/tpm yn wag
# needs-review: own translation; the setting's value (false) kept as gsettings prints it
reason-linux-observed-gnome-lock-off = mae { $source } yn false
# needs-review: own translation; "diffodd" for blank as in reason-linux-gnome-lock-delay
reason-linux-observed-gnome-never-blanks = { $lock }; mae { $idle } yn 0 (nid yw'r sgrin byth yn diffodd)
# needs-review: own translation; Autolock and the timeout are kscreenlockerrc's keys
reason-linux-observed-kde-autolock-off = { $source }: mae Autolock i ffwrdd neu nid oes terfyn amser
# needs-review: own translation
reason-parse-mountinfo-empty = mae mountinfo yn wag
# needs-review: own translation; "beit" for bytes is own choice
reason-parse-mountinfo-too-large = mae mountinfo yn { $bytes } beit; y terfyn yw { $limit }
# needs-review: own translation
reason-parse-mountinfo-bad-line = mae llinell { $line } mountinfo wedi'i chamffurfio: { $what }
# needs-review: own translation; major:minor are the kernel's terms, kept
reason-parse-device-not-major-minor = nid yw'r ddyfais ar ffurf major:minor
# needs-review: own translation
reason-parse-os-release-empty = nid oes llinell KEY=value yn os-release
# needs-review: own translation
reason-parse-os-release-too-large = mae os-release yn { $bytes } beit; y terfyn yw { $limit }
# needs-review: own translation; "newidyn" for variable is own choice
reason-parse-efivar-bad-length = mae gan y newidyn EFI Boole { $bytes } beit; disgwylid 5 (4 beit priodoledd, 1 beit gwerth)
# needs-review: own translation
reason-parse-efivar-bad-value = mae'r newidyn EFI Boole yn dal { $value }; disgwylid 0 neu 1
# needs-review: own translation
reason-parse-too-large = argraffodd { $tool } { $bytes } beit; y terfyn yw { $limit }
# needs-review: own translation
reason-parse-printed-nothing = ni argraffodd { $tool } ddim
# needs-review: own translation; "maes" for field is own choice
reason-parse-output-has-no = nid oes { $field } yn allbwn { $tool }
# needs-review: own translation; "dosrannydd" for parser is own choice
reason-parse-macos-unrecognised = argraffodd { $tool } linell anhysbys { $text }; diweddarwch y dosrannydd ar gyfer y macOS hwn
# needs-review: own translation
reason-parse-windows-reported = adroddodd { $tool }: { $text }
# needs-review: own translation
reason-parse-windows-malformed = nid yw llinell { $line } { $tool } yn y ffurf ddisgwyliedig: { $text }
# needs-review: own translation
reason-parse-windows-bad-value = { $tool }: mae { $name } yn { $value }, nid { $expected }
# needs-review: own translation
reason-parse-input-too-large = mae'r mewnbwn yn { $bytes } beit; y terfyn yw { $limit }
# needs-review: own translation
reason-parse-gsettings-printed = argraffodd gsettings { $text }; disgwylid { $expected }
# needs-review: own translation
reason-parse-kscreenlockerrc-line = llinell { $line } kscreenlockerrc: { $what }
# needs-review: own translation
reason-parse-a-number = rhif
# needs-review: own translation
reason-parse-an-unsigned-number = rhif heb arwydd
# needs-review: own translation; "pennawd" for header is own choice
reason-parse-kde-unterminated-group = pennawd [group] heb ei gau
# needs-review: own translation
reason-parse-kde-not-key-value = nid yw ar ffurf key=value
# needs-review: own translation
reason-parse-kde-timeout-not-minutes = mae Timeout yn { $value }, nid munudau
# needs-review: own translation
reason-parse-kde-lockgrace-not-seconds = mae LockGrace yn { $value }, nid eiliadau
# needs-review: own translation
reason-macos-no-patch-level = nid oes gan macOS lefel clwt diogelwch fel Android
# needs-review: own translation
reason-macos-no-developer-mode = nid oes gan macOS osodiad modd datblygwr
# needs-review: own translation
reason-macos-no-usb-debugging = nid oes gan macOS osodiad dadfygio USB
# needs-review: own translation
reason-macos-secure-enclave-not-probed = nid yw'r asiant yn gwirio a oes Secure Enclave ar macOS eto
# needs-review: own translation
reason-macos-secure-boot-not-probed = nid yw'r asiant yn gwirio lefel cychwyn diogel Apple eto
# needs-review: own translation
reason-macos-no-tpm = nid oes gan Macs TPM; y Secure Enclave sy'n gwneud y gwaith hwnnw
# needs-review: own translation
reason-macos-idle-time-not-set = nid yw { $source } wedi'i osod ar gyfer y defnyddiwr hwn: gwerth diofyn macOS sy'n berthnasol, ac nid yw'r asiant hwn yn tybio beth yw hwnnw
# needs-review: own translation
reason-macos-observed-compiled-for = wedi'i grynhoi ar gyfer macOS
# needs-review: own translation
reason-macos-observed-encrypting = { $source }: amgryptio ar y gweill
# needs-review: own translation
reason-macos-observed-decrypting = { $source }: dadgryptio ar y gweill
# needs-review: own translation; "mewngofnodi" for log in as in the Windows advice
reason-macos-observed-deferred = { $source }: galluogi wedi'i ohirio tan y mewngofnodi neu'r ailgychwyn nesaf
# needs-review: own translation; "off" is sysadminctl's word, kept; "arbedwr sgrin" as in the Windows advice
reason-macos-observed-screen-lock-off = { $source } (off: dim cyfrinair ar ôl yr arbedwr sgrin na chwsg y sgrin)
# needs-review: own translation; UBR is Windows' name; "diweddariadau" as in the Dyfed-Powys Police advice
reason-windows-no-patch-level = mae Windows yn adrodd diweddariadau fel UBR yr adeiledd, nid fel dyddiad clwt
# needs-review: own translation
reason-windows-developer-mode-not-probed = nid yw'r asiant yn gwirio modd datblygwr Windows
# needs-review: own translation
reason-windows-no-usb-debugging = nid oes gan Windows osodiad dadfygio USB
# needs-review: own translation
reason-windows-tpm-not-probed = nid yw'r asiant yn gwirio a oes TPM ar Windows eto
# needs-review: own translation
reason-windows-secure-boot-not-probed = nid yw'r asiant yn gwirio Secure Boot ar Windows eto
# needs-review: own translation
reason-windows-system-drive-not-listed = nid yw gyriant y system wedi'i restru
# needs-review: own translation; "arbedwr sgrin" and "cofrestrfa" are own choices
reason-windows-no-screen-saver-lock = dim gosodiad cloi arbedwr sgrin yn y gofrestrfa
# needs-review: own translation
reason-windows-no-screen-saver-timeout = dim terfyn amser arbedwr sgrin a dim { $setting } yn y gofrestrfa
# needs-review: own translation
reason-windows-observed-compiled-for = wedi'i grynhoi ar gyfer Windows
# needs-review: own translation; "eiliad" for s as in reason-linux-gnome-lock-delay
reason-windows-observed-screen-saver-and-limit = { $source } (arbedwr sgrin { $seconds } eiliad); { $setting } ({ $limit } eiliad)
# needs-review: own translation
reason-windows-observed-screen-saver-no-limit = { $source } (arbedwr sgrin { $seconds } eiliad); dim { $setting }
# needs-review: own translation
reason-windows-observed-limit-no-screen-saver = { $setting } ({ $limit } eiliad); dim arbedwr sgrin sy'n cloi
# needs-review: own translation
reason-windows-observed-screen-saver-does-not-lock = { $source } (nid yw'r arbedwr sgrin yn cloi); dim { $setting }
