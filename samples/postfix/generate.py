#!/usr/bin/env python3
"""Deterministic generator of realistic Postfix mail logs for rejectlens.

Two ways to run it (standard library only; the same arguments always give
the same bytes):

  generate.py --samples samples/postfix/
      writes the committed samples: mail.log (RFC 3164, host mx1, across New
      Year 2025/2026), mail-rfc3339.log (rsyslog RFC 3339, host mx2, mixed
      zones), maillog (Postfix >= 3.4 maillog_file, host mx3), the oracle
      expected-events.tsv and SHAPES.md (which documents the oracle rules).

  generate.py --lines N --seed S --start 2026-03-02 --format rfc3164|rfc3339 -o FILE
      streams a log of exactly N lines for benchmarks, in flat memory.

How it works.  A story is one SMTP session, submission, cron mail, postscreen
connection, newsletter batch...  Stories emit their lines with their own
timestamps into a heap; accepted messages live on as small objects whose
delivery attempts (retries with back-off, bounces, expiry, non-delivery and
delay notifications, admin holds) are continuations in the same heap, so all
queue-id life cycles are self-consistent: smtpd connect -> QID: client= ->
cleanup message-id= -> qmgr from= (queue active) -> delivery lines -> removed.
Every line that an ingester must turn into an event carries the event with it;
that is how expected-events.tsv is written.

For --lines the same simulator first produces a pool of story templates in
which every identity (client IP and its PTR name, address local part, domain,
queue id, process id, message-id, time stamp) is a placeholder; the log is
then streamed by replaying randomly chosen templates at Poisson arrival times
(thinned by hour of day) with freshly generated identities, so millions of
distinct addresses and client IPs appear at large N while the mix of shapes
and reply texts is the simulator's.
"""

import argparse
import bisect
import calendar
import heapq
import os
import random
import re
import sys
import time
import zlib

INF = float('inf')
MON = ('', 'Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec')
RAW = object()          # marks a line written without syslog header (broken input)

# --------------------------------------------------------------------------
# name material
# --------------------------------------------------------------------------
FIRST = sorted(set("""james mary john patricia robert jennifer michael linda david elizabeth william
barbara richard susan joseph jessica thomas sarah charles karen christopher lisa daniel nancy matthew
betty anthony sandra mark ashley donald kimberly steven emily paul donna andrew michelle joshua carol
kenneth amanda kevin melissa brian deborah george stephanie timothy rebecca ronald sharon jason laura
edward cynthia jeffrey kathleen ryan amy jacob angela gary shirley nicholas anna eric brenda jonathan
pamela stephen emma larry nicole justin helen scott samantha brandon katherine benjamin christine samuel
rachel alexander carolyn frank janet patrick catherine raymond maria jack heather dennis diane jerry ruth
tyler julie aaron olivia jose joyce adam virginia nathan victoria henry kelly douglas lauren zachary
christina peter joan kyle evelyn noah judith ethan megan jeremy andrea walter cheryl christian hannah
keith jacqueline roger martha terry gloria gerald teresa harold ann sean sara austin madison carl frances
arthur kathryn lawrence janice dylan jean jesse abigail jordan alice bryan judy billy sophia joe grace
bruce denise gabriel amber logan doris albert marilyn alan beverly juan isabella wayne theresa elijah
diana randy natalie roy vincent charlotte ralph marie eugene kayla russell alexis bobby lori mason luca
sofia lukas mia leon jonas lena felix clara emilia elias matteo giulia pierre camille louis chloe hugo
ines jan eva piotr zofia ahmed fatima yuki haruto chen wei priya arjun olga ivan""".split()))
LAST = sorted(set("""smith johnson williams brown jones garcia miller davis rodriguez martinez hernandez
lopez gonzalez wilson anderson thomas taylor moore jackson martin lee perez thompson white harris sanchez
clark ramirez lewis robinson walker young allen king wright scott torres nguyen hill flores green adams
nelson baker hall rivera campbell mitchell carter roberts gomez phillips evans turner diaz parker cruz
edwards collins reyes stewart morris morales murphy cook rogers gutierrez ortiz morgan cooper peterson
bailey reed kelly howard ramos kim cox ward richardson watson brooks chavez wood james bennett gray
mendoza ruiz hughes price alvarez castillo sanders patel myers long ross foster jimenez powell jenkins
perry russell sullivan bell coleman butler henderson barnes fisher vasquez simmons romero jordan
patterson alexander hamilton graham reynolds griffin wallace moreno west cole hayes bryant herrera gibson
ellis tran medina aguilar stevens murray ford castro marshall owens harrison fernandez mcdonald woods
kennedy wells vargas henry chen freeman webb tucker guzman burns crawford olson simpson porter hunter
gordon mendez silva shaw snyder mason dixon munoz hunt hicks holmes palmer wagner black robertson boyd
rose stone salazar fox warren mills meyer rice schmidt garza daniels ferguson nichols stephens soto
weaver gardner payne grant dunn spencer hawkins arnold pierce hansen peters santos hart bradley knight
elliott cunningham duncan armstrong hudson carroll lane riley andrews perkins hoffman johnston matthews
richards willis carpenter lawrence mueller schneider fischer weber becker schulz koch richter klein
wolf neumann schwarz zimmermann braun hartmann krause lange werner meier lehmann dubois moreau laurent
lefebvre leroy roux fournier girard bonnet rossi russo ferrari esposito bianchi romano colombo ricci
marino greco bruno gallo conti devries jansen bakker visser smit meijer kowalski nowak wisniewski
tanaka suzuki sato kumar singh ivanov petrov""".split()))
WORDS = sorted(set("""acme apex alpine amber anchor arrow aspen atlas aurora axis beacon birch bison blue
bolt bright brook cactus canyon cedar cobalt comet coral crest crystal cypress delta drift eagle echo
ember falcon fern fjord flint forge fox frost galaxy garnet glacier granite harbor hawk hazel horizon
indigo iris ivory jade jasper juniper kestrel lagoon lark laurel lime linden lotus lunar maple marble
meadow mesa mint monarch nimbus north oak ocean onyx opal orbit orchid osprey pebble pine pixel plaza
polar prairie prism quartz quill raven reef ridge river robin rowan ruby sable sage sapphire sequoia
shadow sierra silver slate solar spruce star stone storm summit sunrise swift tango terra thistle
thunder tide timber topaz trail tundra valley vector velvet venture vista willow wolf zenith zephyr
data cloud logic works labs media group systems digital consult trade shop store market health care
legal invest capital finance travel tours auto motors home build design print foods fresh farm energy
green tech soft link post news press""".split()))
SPAMW = "deal promo offer cheap bonus win prize loan crypto pharma rx slim casino bet lucky fastcash gift sale coupon vip".split()
ROLES = "info sales support billing office contact hello team accounts invoices hr jobs admin marketing orders service".split()
JUNK_HELO = ("User", "WIN-8QL4SDRB93L", "WIN-CLJ1B0GQ6JP", "ylmf-pc", "localhost", "ADMIN-PC", "DESKTOP-7K2LQ0M",
             "xxx", "mail", "smtp", "host", "PC-20231102", "kcvmsq", "User-PC", "win10", "ubuntu")
TLD_BENCH = (('com', 40), ('net', 10), ('org', 7), ('de', 8), ('co.uk', 4), ('fr', 4), ('nl', 3), ('it', 3),
             ('es', 3), ('pl', 2), ('ru', 3), ('cn', 2), ('com.br', 2), ('in', 2), ('jp', 1), ('info', 2),
             ('biz', 1), ('io', 2), ('xyz', 2), ('top', 2), ('online', 1), ('ch', 1), ('at', 1), ('se', 1))

# external domains used by the committed samples (reserved TLDs only, plus big providers)
SAMPLE_BIZ = ("northwind.example", "contoso.example", "fabrikam.example", "globex.example", "initech.example",
              "umbrella-corp.example", "wayne-ent.example", "acme-tools.example", "blue-harbor.example",
              "alpine-travel.example", "cedar-law.example", "quartz-labs.example", "lagoon-media.example",
              "granite-bank.example", "osprey-logistics.example", "tailspin.example", "adatum.example",
              "litware.example", "proseware.example", "woodgrove.example", "lucerne-publishing.example",
              "margies-travel.example", "relecloud.example", "trey-research.example", "wingtip.example",
              "fourthcoffee.example", "coho-winery.example", "wideworld.example", "school.test", "club.test")
SAMPLE_SPAM = ("promo-deals.test", "cheap-rx.test", "lucky-win.invalid", "crypto-profit.test", "vip-offers.invalid",
               "secure-paypa1.test", "dhl-parcel-track.test", "invoice-docs.invalid", "qhhn.test", "zbvx.test",
               "mailer.bulkhost.invalid", "xn--bnq-mail.test", "newsletter-pro.invalid", "best-loans.test")
# domains whose mail is hosted by Microsoft 365 / Google Workspace (samples)
M365_DOMS = {"contoso.example", "fabrikam.example", "adatum.example", "litware.example", "woodgrove.example",
             "relecloud.example", "wingtip.example"}
GWS_DOMS = {"northwind.example", "globex.example", "tailspin.example", "proseware.example", "fourthcoffee.example"}
FREEMAIL = (('gmail.com', 34), ('outlook.com', 10), ('hotmail.com', 9), ('yahoo.com', 9), ('aol.com', 3),
            ('gmx.de', 5), ('web.de', 4), ('icloud.com', 5), ('googlemail.com', 1), ('live.com', 2),
            ('ymail.com', 1), ('gmx.net', 2))
PROVIDER = {'gmail.com': 'gmail', 'googlemail.com': 'gmail', 'outlook.com': 'msc', 'hotmail.com': 'msc',
            'live.com': 'msc', 'yahoo.com': 'yahoo', 'aol.com': 'yahoo', 'ymail.com': 'yahoo',
            'gmx.de': 'gmx', 'gmx.net': 'gmx', 'web.de': 'gmx', 'icloud.com': 'icloud'}

B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
LQ = '0123456789BCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxy'   # long queue id alphabet (51, no vowels, no z)


def fd(x):
    """Postfix style delay number: 0, 0.02, 0.1, 3.3, 582."""
    if x < 0.01:
        return '0'
    if x >= 10:
        return '%d' % x
    s = ('%.2f' % x) if x < 1 else ('%.1f' % x)
    s = s.rstrip('0').rstrip('.')
    return s


def delays(a, b, c, d):
    return 'delay=%s, delays=%s/%s/%s/%s' % (fd(a + b + c + d), fd(a), fd(b), fd(c), fd(d))


# ---- the two derived columns of delivery outcomes (documented in SHAPES.md) ----
RE_DCODE = re.compile(r'(?:^|said: |refused to talk to me: )([2-5]\d\d)[ -]')


def delivery_code(text):
    m = RE_DCODE.search(text)
    return m.group(1) if m else ''


def delivery_stage(text):
    if 'in reply to RCPT TO command' in text or 'while sending RCPT TO' in text:
        return 'rcpt'
    if 'in reply to MAIL FROM command' in text or 'while sending MAIL FROM' in text:
        return 'mail'
    if 'in reply to end of DATA command' in text or 'while sending end of data' in text:
        return 'eom'
    if 'in reply to DATA command' in text or 'while sending message body' in text:
        return 'data'
    if ('in reply to HELO command' in text or 'in reply to EHLO command' in text
            or 'in reply to STARTTLS command' in text):
        return 'helo'
    if ('initial server greeting' in text or 'refused to talk to me' in text
            or text.startswith('connect to ') or ': connect to ' in text):
        return 'connect'
    return ''


STAGE = {'CONNECT': 'connect', 'EHLO': 'helo', 'HELO': 'helo', 'MAIL': 'mail', 'RCPT': 'rcpt', 'VRFY': 'rcpt',
         'DATA': 'data', 'BDAT': 'data', 'END-OF-MESSAGE': 'eom'}


# --------------------------------------------------------------------------
# simulation engine
# --------------------------------------------------------------------------
class Sim:
    """Heap of (time, seq, text, event, shape); text None = continuation."""
    __slots__ = ('h', 'n')

    def __init__(self):
        self.h = []
        self.n = 0

    def emit(self, t, text, ev=None, shape=None):
        self.n += 1
        heapq.heappush(self.h, (t, self.n, text, ev, shape))

    def at(self, t, fn, arg):
        self.n += 1
        heapq.heappush(self.h, (t, self.n, None, fn, arg))


class Pool:
    """Process ids of one daemon kind: reused while the process lives, new ones forked."""
    __slots__ = ('g', 'free', 'idle')

    def __init__(self, g, idle=100.0):
        self.g = g
        self.free = []
        self.idle = idle

    def get(self, t):
        f = self.free
        while f and f[0][0] + self.idle < t:
            heapq.heappop(f)
        if f and f[0][0] <= t:
            return heapq.heappop(f)[1]
        return self.g.newpid()

    def put(self, pid, t):
        heapq.heappush(self.free, (t, pid))


class Inst:
    """One Postfix instance (syslog_name) on a host."""

    def __init__(self, g, name, long_ids, ip, delay_reject=True):
        self.name = name
        self.long = long_ids
        self.ip = ip
        self.delay_reject = delay_reject
        self.p = {}
        for d in ('smtpd', 'cleanup', 'qmgr', 'smtp', 'lmtp', 'local', 'virtual', 'pipe', 'error', 'discard',
                  'bounce', 'pickup', 'postscreen', 'dnsblog', 'anvil', 'master', 'postsuper', 'scache',
                  'tlsmgr', 'verify', 'postfix-script', 'submission/smtpd', 'smtps/smtpd', 'postqueue'):
            self.p[d] = '%s/%s' % (name, d)
        self.fixed = {}
        for d in ('qmgr', 'master', 'postscreen', 'pickup', 'tlsmgr', 'anvil', 'scache'):
            self.fixed[d] = g.newpid(True)
        self.pools = {}
        for d in ('smtpd', 'sub', 'smtps', 'smtpd10025', 'cleanup', 'smtp', 'lmtp', 'local', 'virtual', 'pipe',
                  'error', 'discard', 'bounce', 'dnsblog', 'postsuper', 'verify'):
            self.pools[d] = Pool(g, 60.0 if d in ('smtp', 'lmtp', 'dnsblog') else 100.0)


class Host:
    def __init__(self, **kw):
        self.__dict__.update(kw)


# --------------------------------------------------------------------------
# names, addresses, clients
# --------------------------------------------------------------------------
class World:
    def __init__(self, g, bench, host):
        self.g = g
        self.bench = bench
        self.H = host
        r = g.rnd
        self.rnd = r
        tot = 0
        self.tld_cum = []
        self.tld = []
        for k, w in TLD_BENCH:
            tot += w
            self.tld_cum.append(tot)
            self.tld.append(k)
        tot = 0
        self.fm_cum = []
        self.fm = []
        for k, w in FREEMAIL:
            tot += w
            self.fm_cum.append(tot)
            self.fm.append(k)
        # our users
        users = []
        n_users = 4000 if bench else 46
        seen = set()
        i = 0
        while len(users) < n_users:
            f = g.ch(FIRST)
            l = g.ch(LAST)
            style = i % 4
            i += 1
            lp = (f if style == 0 else '%s.%s' % (f, l) if style < 3 else '%s%s' % (f[0], l))
            d = host.domains[0]
            a = '%s@%s' % (lp, d)
            if a in seen:
                continue
            seen.add(a)
            users.append(a)
        self.users = users

    # ---- ip addresses
    def ip4(self):
        r = self.rnd
        if self.g.tpl:
            return self.g.tok('.')
        if not self.bench:
            n = int(r() * 3)
            net = ('192.0.2.', '198.51.100.', '203.0.113.')[n]
            return '%s%d' % (net, 40 + int(r() * 214))
        while True:
            a = 1 + int(r() * 222)
            if a in (10, 100, 127, 169, 172, 192, 198, 203):
                continue
            return '%d.%d.%d.%d' % (a, int(r() * 256), int(r() * 256), 1 + int(r() * 254))

    def ip6(self):
        r = self.rnd
        if self.g.tpl:
            return self.g.tok(':')
        return '2001:db8:%x:%x::%x' % (int(r() * 65536), int(r() * 65536), 1 + int(r() * 65535))

    # ---- domains
    def biz_domain(self):
        r = self.rnd
        if not self.bench:
            return self.g.ch(SAMPLE_BIZ)
        if self.g.tpl:
            return self.g.tok('d')
        w1 = WORDS[int(r() * len(WORDS))]
        w2 = WORDS[int(r() * len(WORDS))]
        t = self.tld[bisect.bisect(self.tld_cum, r() * self.tld_cum[-1])]
        x = r()
        if x < 0.5:
            return '%s%s.%s' % (w1, w2, t)
        if x < 0.8:
            return '%s-%s.%s' % (w1, w2, t)
        return '%s%s%d.%s' % (w1, w2, int(r() * 100), t)

    def spam_domain(self):
        r = self.rnd
        if not self.bench:
            return self.g.ch(SAMPLE_SPAM)
        if self.g.tpl:
            return self.g.tok('s')
        w1 = SPAMW[int(r() * len(SPAMW))]
        w2 = WORDS[int(r() * len(WORDS))]
        t = self.tld[bisect.bisect(self.tld_cum, r() * self.tld_cum[-1])]
        if r() < 0.5:
            return '%s%s%d.%s' % (w1, w2, int(r() * 1000), t)
        return '%s.%s' % (''.join('bcdfghjklmnpqrstvwxz'[int(r() * 20)] for _ in range(4 + int(r() * 5))), t)

    def freemail(self):
        return self.fm[bisect.bisect(self.fm_cum, self.rnd() * self.fm_cum[-1])]

    # ---- local parts
    def person(self):
        r = self.rnd
        if self.g.tpl:
            return self.g.tok('u')
        f = FIRST[int(r() * len(FIRST))]
        l = LAST[int(r() * len(LAST))]
        x = r()
        big = self.bench
        if x < 0.3:
            s = '%s.%s' % (f, l)
        elif x < 0.45:
            s = '%s%s' % (f[0], l)
        elif x < 0.6:
            s = '%s_%s' % (f, l)
        elif x < 0.75:
            s = '%s%d' % (f, int(r() * (10000 if big else 100)))
        elif x < 0.9:
            s = '%s.%s%d' % (f, l, int(r() * (100 if big else 10)))
        else:
            s = '%s.%s' % (l, f)
        if big and r() < 0.5:
            s = '%s%d' % (s, int(r() * 1000))
        return s

    def ext_addr(self):
        """A plausible external correspondent."""
        r = self.rnd
        if r() < 0.55:
            return '%s@%s' % (self.person(), self.freemail())
        d = self.biz_domain()
        if r() < 0.2:
            return '%s@%s' % (self.g.ch(ROLES), d)
        return '%s@%s' % (self.person(), d)

    def spam_addr(self):
        r = self.rnd
        x = r()
        if x < 0.35:
            return '%s@%s' % (self.person(), self.spam_domain())
        if x < 0.55:
            if self.g.tpl:
                return '%s@%s' % (self.g.tok('j'), self.spam_domain())
            return '%s@%s' % (''.join('abcdefghijklmnopqrstuvwxyz'[int(r() * 26)] for _ in range(5 + int(r() * 6))),
                              self.spam_domain())
        if x < 0.75:
            return '%s@%s' % (self.person(), self.freemail())
        if x < 0.85:
            return ''
        return '%s@%s' % (self.g.ch(('noreply', 'info', 'support', 'security', 'billing', 'service')),
                          self.spam_domain())

    def our_user(self):
        if self.g.tpl:
            # benchmark logs: a big mailbox population, drawn per replay
            return '%s@%s' % (self.g.tok('U'), self.H.domains[0])
        return self.users[int(self.rnd() * len(self.users))]

    def nonexist_local(self):
        """An address at one of our domains that does not exist (dictionary attacks, typos)."""
        r = self.rnd
        d = self.H.domains[int(r() * len(self.H.domains))]
        x = r()
        if x < 0.3:
            lp = self.person()
        elif x < 0.5:
            lp = self.g.ch(('admin', 'webmaster', 'test', 'sales1', 'info2', 'office1', 'director', 'ceo',
                            'manager', 'accounting', 'root', 'user', 'mail', 'contact1', 'newsletter'))
        elif x < 0.7 and not self.g.tpl:
            u = self.our_user().split('@')[0]
            lp = u[:-1] if len(u) > 4 else u + 'x'
        elif self.g.tpl:
            lp = self.g.tok('j')
        else:
            lp = ''.join('abcdefghijklmnopqrstuvwxyz0123456789'[int(r() * 36)] for _ in range(6 + int(r() * 6)))
        return '%s@%s' % (lp, d)

    # ---- hosts
    def ptr_dyn(self, ip):
        r = self.rnd
        if ':' in ip:
            return 'unknown'
        x = int(r() * 6)
        if self.bench:
            isp = WORDS[int(r() * len(WORDS))] + '.' + self.tld[int(r() * 6)]
        else:
            isp = self.g.ch(('isp.example', 'cable.example', 'telco.test', 'broadband.example', 'dsl.test'))
        if ip.startswith('\x01'):
            return self.g.tok('p', (x, int(ip[2:-1]), isp))
        return ptr_name(x, ip, isp)

    def rev(self, ip):
        if ip.startswith('\x01'):
            return self.g.tok('r', int(ip[2:-1]))
        return '.'.join(reversed(ip.split('.')))

    def spam_client(self):
        r = self.rnd
        ip = self.ip6() if r() < 0.07 else self.ip4()
        x = r()
        if x < 0.45 or ':' in ip:
            name = 'unknown'
        else:
            name = self.ptr_dyn(ip)
        y = r()
        if y < 0.45:
            helo = self.g.ch(JUNK_HELO)
        elif y < 0.6:
            helo = '[%s]' % ip
        elif y < 0.8 and name != 'unknown':
            helo = name
        else:
            helo = self.spam_domain()
        return (name, ip, helo)

    def provider_out(self, prov):
        """Outbound relay of a big provider sending to us (name, ip, helo)."""
        r = self.rnd
        if prov == 'gmail':
            k = 1 + int(r() * 250)
            pfx = self.g.ch(('ej1', 'wr1', 'wm1', 'lf1', 'ed1', 'pl1', 'yb1', 'qt1', 'oi1', 'io1', 'il1', 'pj1'))
            if r() < 0.3:
                return ('mail-%s-x%x.google.com' % (pfx, 0x230 + k), '2a00:1450:4864:20::%x' % (0x230 + k),
                        'mail-%s-x%x.google.com' % (pfx, 0x230 + k))
            n = 'mail-%s-f%d.google.com' % (pfx, k)
            return (n, '209.85.%d.%d' % (128 + int(r() * 100), k), n)
        if prov == 'msc':
            k = 10 + int(r() * 240)
            n = 'mail-%s%d%son%d%d.outbound.protection.outlook.com' % (
                self.g.ch(('am6', 'db8', 'vi1', 'he1', 'dm6', 'bn8', 'co1', 'sn1')), 1 + int(r() * 9),
                self.g.ch(('eur05', 'eur03', 'nam10', 'nam12', 'eur01')), 20 + int(r() * 10), k)
            if r() < 0.3:
                return (n, '2a01:111:f403:%x::%x' % (0x2600 + int(r() * 255), 0x700 + k), n)
            return (n, '40.107.%d.%d' % (int(r() * 250), k), n)
        if prov == 'yahoo':
            n = 'sonic%d-%d.consmr.mail.%s.yahoo.com' % (301 + int(r() * 40), 20 + int(r() * 20),
                                                         self.g.ch(('ne1', 'bf2', 'gq1', 'ir2')))
            return (n, '66.163.%d.%d' % (184 + int(r() * 8), 1 + int(r() * 250)), n)
        if prov == 'ses':
            a = 1 + int(r() * 250)
            n = 'a%d-%d.smtp-out.amazonses.com' % (8, a)
            return (n, '54.240.8.%d' % a, n)
        if prov == 'sendgrid':
            a = 1 + int(r() * 250)
            n = 'o%dx%d.outbound-mail.sendgrid.net' % (1600000 + int(r() * 400000), a)
            return (n, '167.89.%d.%d' % (int(r() * 120), a), n)
        if prov == 'mailchimp':
            a = 1 + int(r() * 250)
            n = 'mail%d.atl%d.mcsv.net' % (a, 11 + int(r() * 200))
            return (n, '198.2.%d.%d' % (128 + int(r() * 60), a), n)
        return None

    def biz_client(self, dom):
        r = self.rnd
        hosted = dom_hosting(dom, self.bench)
        if hosted == 'msb':
            return self.provider_out('msc')
        if hosted == 'gws':
            return self.provider_out('gmail')
        ip = self.ip6() if r() < 0.08 else self.ip4()
        n = '%s.%s' % (self.g.ch(('mail', 'mx1', 'mx2', 'smtp', 'out', 'mailout', 'mta1', 'relay')), dom)
        return (n, ip, n)

    def sender_client(self, sender):
        """Client that legitimately sends mail for sender."""
        d = sender.rsplit('@', 1)[-1]
        p = PROVIDER.get(d)
        if p in ('gmail', 'msc', 'yahoo'):
            return self.provider_out(p)
        if p == 'gmx':
            a = 1 + int(self.rnd() * 250)
            n = 'mout.%s' % ('gmx.net' if d.startswith('gmx') else 'web.de')
            return (n, '212.227.%d.%d' % (15 + int(self.rnd() * 3), a), n)
        if p == 'icloud':
            n = 'st43p00im-%s%d.me.com' % (self.g.ch(('ztdg', 'zteg', 'ztfb')), 10100000 + int(self.rnd() * 90000))
            return (n, '17.58.%d.%d' % (int(self.rnd() * 60), 1 + int(self.rnd() * 250)), n)
        return self.biz_client(d)

    def user_client(self):
        """Where our own users submit from (home, office, mobile)."""
        r = self.rnd
        x = r()
        if x < 0.3:
            ip = self.ip6()
            return ('unknown', ip, '[IPv6:%s]' % ip) if r() < 0.3 else ('unknown', ip, self.g.ch(
                ('MacBookPro.fritz.box', 'laptop.local', 'DESKTOP-0G6V3KQ', '[127.0.0.1]')))
        if x < 0.5:
            return ('gw.office.' + self.H.domains[0], self.H.office_ip, 'office-pc%d.%s' % (
                int(r() * 40), self.H.domains[0]))
        ip = self.ip4()
        n = self.ptr_dyn(ip)
        return (n, ip, self.g.ch(('[192.168.1.23]', '[192.168.178.44]', 'DESKTOP-7K2LQ0M', 'iPhone', n,
                                  'MacBook-Air.local')))


def ptr_name(x, ip, isp):
    a, b, c, d = ip.split('.')
    if x == 0:
        return '%s-%s-%s-%s.dynamic.%s' % (a, b, c, d, isp)
    if x == 1:
        return 'static.%s.%s.%s.%s.clients.%s' % (d, c, b, a, isp)
    if x == 2:
        return 'ip%s-%s-%s-%s.pool.%s' % (a, b, c, d, isp)
    if x == 3:
        return 'vps%d.%s' % (1000 + (int(d) * 7919 + int(c) * 31) % 90000, isp)
    if x == 4:
        return '%s.%s.%s.%s.broad.%s' % (d, c, b, a, isp)
    return 'host-%s-%s-%s-%s.%s' % (a, b, c, d, isp)


def crc(s):
    return zlib.crc32(s.encode())


def dom_hosting(dom, bench):
    """Who hosts the mail of a business domain: 'msb' (Microsoft 365), 'gws' (Google Workspace) or ''."""
    if dom in M365_DOMS:
        return 'msb'
    if dom in GWS_DOMS:
        return 'gws'
    if bench:
        k = crc(dom) % 10
        return 'msb' if k == 0 else 'gws' if k == 1 else ''
    return ''


# --------------------------------------------------------------------------
# remote replies seen by our smtp client: key -> (dsn, command, template)
# command 'greeting' renders as "host X refused to talk to me: ..."
# --------------------------------------------------------------------------
REPLY = {
    # Gmail
    'gm_spam': ('5.7.1', 'end of DATA', "550-5.7.1 [{ip}      12] Our system has detected that this message is 550-5.7.1 likely unsolicited mail. To reduce the amount of spam sent to Gmail, 550-5.7.1 this message has been blocked. For more information, go to 550 5.7.1  https://support.google.com/mail/?p=UnsolicitedMessageError {gid} - gsmtp"),
    'gm_lowrep': ('5.7.1', 'end of DATA', "550-5.7.1 [{ip}] Gmail has detected that this message is likely suspicious due 550-5.7.1 to the very low reputation of the sending domain. To best protect our 550-5.7.1 users from spam, the message has been blocked. For more information, 550-5.7.1 go to 550 5.7.1  https://support.google.com/mail/answer/188131 {gid} - gsmtp"),
    'gm_dmarc': ('5.7.26', 'end of DATA', "550-5.7.26 Unauthenticated email from {sd} is not accepted due to domain's 550-5.7.26 DMARC policy. Please contact the administrator of {sd} domain if 550-5.7.26 this was a legitimate mail. To learn about the DMARC initiative, go to 550 5.7.26  https://support.google.com/mail/?p=DmarcRejection {gid} - gsmtp"),
    'gm_unauth': ('5.7.26', 'end of DATA', "550-5.7.26 Your email has been blocked because the sender is unauthenticated. 550-5.7.26 Gmail requires all senders to authenticate with either SPF or DKIM. 550-5.7.26  550-5.7.26  Authentication results: 550-5.7.26  DKIM = did not pass 550-5.7.26  SPF [{sd}] with ip: [{ip}] = did not pass 550-5.7.26  550-5.7.26  For instructions on setting up authentication, go to 550 5.7.26  https://support.google.com/mail/answer/81126#authentication {gid} - gsmtp"),
    'gm_ptr': ('5.7.25', 'end of DATA', "550-5.7.25 [{ip}] The IP address sending this message does not have a 550-5.7.25 PTR record setup, or the corresponding forward DNS entry does not 550-5.7.25 point to the sending IP. As a policy, Gmail does not accept messages 550-5.7.25 from IPs with missing PTR records. For more information, go to 550 5.7.25  https://support.google.com/mail/answer/81126#ip-rdns {gid} - gsmtp"),
    'gm_nouser': ('5.1.1', 'RCPT TO', "550-5.1.1 The email account that you tried to reach does not exist. Please try 550-5.1.1 double-checking the recipient's email address for typos or 550-5.1.1 unnecessary spaces. For more information, go to 550 5.1.1  https://support.google.com/mail/?p=NoSuchUser {gid} - gsmtp"),
    'gm_disabled': ('5.2.1', 'RCPT TO', "550-5.2.1 The email account that you tried to reach is inactive. For more 550-5.2.1 information, go to 550 5.2.1  https://support.google.com/mail/?p=DisabledUser {gid} - gsmtp"),
    'gm_full': ('5.2.2', 'RCPT TO', "552-5.2.2 The recipient's inbox is out of storage space and inactive. Please 552-5.2.2 direct the recipient to 552 5.2.2  https://support.google.com/mail/?p=OverQuotaPerm {gid} - gsmtp"),
    'gm_size': ('5.3.4', 'end of DATA', "552-5.3.4 Your message exceeded Google's message size limits. For more 552-5.3.4 information, go to 552 5.3.4  https://support.google.com/mail/?p=MaxSizeError {gid} - gsmtp"),
    'gm_rfc5322': ('5.7.1', 'end of DATA', "550-5.7.1 [{ip}] Messages missing a valid Message-ID header are not 550-5.7.1 accepted. For more information, go to 550-5.7.1  https://support.google.com/mail/?p=RfcMessageNonCompliant and review 550 5.7.1 RFC 5322 specifications. {gid} - gsmtp"),
    'gm_rate': ('4.7.0', 'end of DATA', "421-4.7.0 [{ip}      15] Our system has detected an unusual rate of 421-4.7.0 unsolicited mail originating from your IP address. To protect our 421-4.7.0 users from spam, mail sent from your IP address has been temporarily 421-4.7.0 rate limited. For more information, go to 421-4.7.0  https://support.google.com/mail/?p=UnsolicitedRateLimitError to 421 4.7.0 review our Bulk Email Senders Guidelines. {gid} - gsmtp"),
    'gm_url': ('4.7.28', 'end of DATA', "421-4.7.28 [{ip}      15] Gmail has detected an unusual rate of unsolicited 421-4.7.28 mail containing one of your URLs. To protect our users from spam, mail 421-4.7.28 containing your URL has been temporarily rate limited. For more 421-4.7.28 information, go to 421 4.7.28  https://support.google.com/mail/?p=UnsolicitedRateLimitError {gid} - gsmtp"),
    'gm_fulltmp': ('4.2.2', 'RCPT TO', "452-4.2.2 The recipient's inbox is out of storage space. Please direct the 452-4.2.2 recipient to 452 4.2.2  https://support.google.com/mail/?p=OverQuotaTemp {gid} - gsmtp"),
    'gm_rcvrate': ('4.2.1', 'RCPT TO', "450-4.2.1 The user you are trying to contact is receiving mail at a rate that 450-4.2.1 prevents additional messages from being delivered. Please resend your 450-4.2.1 message at a later time. If the user is able to receive mail at that 450-4.2.1 time, your message will be delivered. For more information, go to 450 4.2.1  https://support.google.com/mail/?p=ReceivingRate {gid} - gsmtp"),
    'gm_unauth_tmp': ('4.7.26', 'end of DATA', "421-4.7.26 This mail has been rate limited because it is unauthenticated. 421-4.7.26 Gmail requires all senders to authenticate with either SPF or DKIM. 421-4.7.26  421-4.7.26  Authentication results: 421-4.7.26  DKIM = did not pass 421-4.7.26  SPF [{sd}] with ip: [{ip}] = did not pass 421-4.7.26  421-4.7.26  For instructions on setting up authentication, go to 421 4.7.26  https://support.google.com/mail/answer/81126#authentication {gid} - gsmtp"),
    'gm_tmp': ('4.3.0', 'end of DATA', "421-4.3.0 Temporary System Problem.  Try again later (10). For more information, 421-4.3.0 go to 421 4.3.0  https://support.google.com/a/answer/3221692 {gid} - gsmtp"),
    # Microsoft 365 / Outlook.com
    'ms_606': ('5.7.606', 'RCPT TO', "550 5.7.606 Access denied, banned sending IP [{ip}]. To request removal from this list please visit https://sender.office.com/ and follow the directions. For more information please go to http://go.microsoft.com/fwlink/?LinkID=526655 AS(1430) [{ms}]"),
    'ms_s3150': ('5.7.1', 'MAIL FROM', "550 5.7.1 Unfortunately, messages from [{ip}] weren't sent. Please contact your Internet service provider since part of their network is on our block list (S3150). You can also refer your provider to http://mail.live.com/mail/troubleshooting.aspx#errors. [{ms}]"),
    'ms_541': ('5.4.1', 'RCPT TO', "550 5.4.1 Recipient address rejected: Access denied. For more information see https://aka.ms/EXOSmtpErrors [{ms}]"),
    'ms_509': ('5.7.509', 'end of DATA', "550 5.7.509 Access denied, sending domain {sd} does not pass DMARC verification and has a DMARC policy of reject. [{ms}]"),
    'ms_515': ('5.7.515', 'end of DATA', "550 5.7.515 Access denied, sending domain {sd} doesn't meet the required authentication level. The sender's domain in the 5322.From address doesn't meet the authentication requirements defined for the sender. To learn more, please visit https://aka.ms/SenderRequirements. [{ms}]"),
    'ms_550': ('5.5.0', 'RCPT TO', "550 5.5.0 Requested action not taken: mailbox unavailable (S2017062302). [{ms}]"),
    'ms_708': ('5.7.708', 'MAIL FROM', "550 5.7.708 Service unavailable. Access denied, traffic not accepted from this IP. For more information please go to http://go.microsoft.com/fwlink/?LinkId=526653 AS(2400) [{ms}]"),
    'ms_650': ('4.7.650', 'MAIL FROM', "451 4.7.650 The mail server [{ip}] has been temporarily rate limited due to IP reputation. For e-mail delivery information, see https://postmaster.live.com (S775) [{ms}]"),
    'ms_500': ('4.7.500', 'RCPT TO', "451 4.7.500 Server busy. Please try again later from [{ip}]. (S77714) [{ms}]"),
    # Yahoo / AOL
    'y_tss04': ('4.7.0', 'MAIL FROM', "421 4.7.0 [TSS04] Messages from {ip} temporarily deferred due to unexpected volume or user complaints - 4.16.55.1; see https://postmaster.yahooinc.com/error-codes"),
    'y_nouser': ('5.0.0', 'end of DATA', "554 delivery error: dd This user doesn't have a {rd} account ({r}) [0] - {yid}"),
    'y_disabled': ('5.0.0', 'end of DATA', "554 delivery error: dd Sorry your message to {r} cannot be delivered. This mailbox is disabled (554.30). - {yid}"),
    'y_tss09': ('5.7.2', 'MAIL FROM', "553 5.7.2 [TSS09] All messages from {ip} will be permanently deferred; Retrying will NOT succeed. See https://postmaster.yahooinc.com/error-codes"),
    'y_unauth': ('5.7.9', 'end of DATA', "550 5.7.9 This mail has been blocked because the sender is unauthenticated. Yahoo requires all senders to authenticate with either SPF or DKIM. Authentication results: DKIM = did not pass SPF ( {sd}) with ip: ({ip}) = did not pass. For instructions on setting up authentication, go to https://senders.yahooinc.com/smtp-error-codes#unauthenticated-emails"),
    'y_policy': ('5.7.9', 'end of DATA', "554 5.7.9 Message not accepted for policy reasons.  See https://postmaster.yahooinc.com/error-codes"),
    # GMX / WEB.DE
    'gmx_nouser': ('5.0.0', 'RCPT TO', "550 Requested action not taken: mailbox unavailable"),
    'gmx_ptr': ('5.0.0', 'greeting', "554-{mxs} (mxgmx117) Nemesis ESMTP Service not available 554-No SMTP service 554-Bad DNS PTR resource record. 554 For explanation visit https://www.gmx.net/mail/senderguidelines?c=bl"),
    'gmx_rate': ('4.0.0', 'greeting', "421-{mxs} (mxgmx014) Nemesis ESMTP Service not available 421-Service unavailable 421-Reject due to policy restrictions. 421 For explanation visit https://www.gmx.net/mail/senderguidelines?c=rl"),
    # iCloud
    'ic_nouser': ('5.1.1', 'RCPT TO', "550 5.1.1 <{r}>: user does not exist"),
    'ic_spam': ('5.7.1', 'end of DATA', "554 5.7.1 [CS01] Message rejected due to local policy. Please visit https://support.apple.com/en-us/HT204137"),
    'ic_hm08': ('4.7.0', 'MAIL FROM', "421 4.7.0 [HM08] Message rejected due to local policy. Please visit https://support.apple.com/en-us/HT204137"),
    # everybody else (Postfix, Exim, Exchange, appliances)
    'g_vmt': ('5.1.1', 'RCPT TO', "550 5.1.1 <{r}>: Recipient address rejected: User unknown in virtual mailbox table"),
    'g_lrt': ('5.1.1', 'RCPT TO', "550 5.1.1 <{r}>: Recipient address rejected: User unknown in local recipient table"),
    'g_unroute': ('5.0.0', 'RCPT TO', "550 Unrouteable address"),
    'g_sm_nouser': ('5.1.1', 'RCPT TO', "550 5.1.1 <{r}>... User unknown"),
    'g_exch_nouser': ('5.1.10', 'RCPT TO', "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient {r} not found by SMTP address lookup"),
    'g_relay': ('5.7.1', 'RCPT TO', "554 5.7.1 <{r}>: Relay access denied"),
    'g_full': ('5.2.2', 'RCPT TO', "552 5.2.2 <{r}>: Recipient address rejected: Mailbox is full"),
    'g_size': ('5.3.4', 'MAIL FROM', "552 5.3.4 Message size exceeds fixed limit"),
    'g_size2': ('5.3.4', 'end of DATA', "552 5.3.4 Error: message file too big"),
    'g_exsize': ('5.3.4', 'end of DATA', "552 5.3.4 Message size exceeds fixed maximum message size"),
    'g_zen': ('5.7.1', 'RCPT TO', "554 5.7.1 Service unavailable; Client host [{ip}] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/{ip}"),
    'g_barracuda': ('5.0.0', 'RCPT TO', "554 Service unavailable; Client host [{ip}] blocked using Barracuda Reputation; http://www.barracudanetworks.com/reputation/?pr=1&ip={ip}"),
    'g_spamcop': ('5.7.1', 'RCPT TO', "550 5.7.1 Service unavailable; Client host [{ip}] blocked using bl.spamcop.net; Blocked - see https://www.spamcop.net/bl.shtml?{ip}"),
    'g_proofpoint': ('5.0.0', 'greeting', "554 Blocked - see https://ipcheck.proofpoint.com/?ip={ip}"),
    'g_mimecast': ('5.0.0', 'end of DATA', "550 Rejected by header based Anti-Spoofing policy: {r} - https://community.mimecast.com/docs/DOC-1369#550 [{mc}.uk{n}]"),
    'g_spf': ('5.7.23', 'RCPT TO', "550 5.7.23 <{r}>: Recipient address rejected: Message rejected due to: SPF fail - not authorized. Please see http://www.open-spf.org/Why;id={s};ip={ip};r=<UNKNOWN>"),
    'g_sender_verify': ('5.0.0', 'RCPT TO', "550-Verification failed for <{s}> 550-Called:   {myip} 550-Sent:     RCPT TO:<{s}> 550-Response: 550 5.1.1 <{s}>: Recipient address rejected: User unknown in virtual mailbox table 550 Sender verify failed"),
    'g_content': ('5.7.1', 'end of DATA', "550 5.7.1 Message rejected as spam by Content Filtering."),
    'g_virus': ('5.7.0', 'end of DATA', "554 5.7.0 Reject, id={aid} - INFECTED: Heuristics.Phishing.Email.SpoofedDomain"),
    'g_rdns5': ('5.7.25', 'RCPT TO', "550 5.7.25 Client host rejected: cannot find your reverse hostname, [{ip}]"),
    'g_helo': ('5.7.1', 'EHLO', "550 5.7.1 Access denied - Invalid HELO name (See RFC2821 4.1.1.1)"),
    'g_disabled': ('5.2.1', 'RCPT TO', "550 5.2.1 <{r}>: Recipient address rejected: Mailbox disabled, not accepting messages"),
    'g_notlocal': ('5.0.0', 'RCPT TO', "551 User not local; please try <{r2}>"),
    'g_grey_pg': ('4.2.0', 'RCPT TO', "450 4.2.0 <{r}>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/{rd}.html"),
    'g_grey_milter': ('4.7.1', 'RCPT TO', "451 4.7.1 Greylisting in action, please come back later"),
    'g_grey_exim': ('4.0.0', 'RCPT TO', "451-{ip} is not yet authorized to deliver mail from 451 <{s}> to <{r}>. Please try later."),
    'g_grey_sql': ('4.7.1', 'RCPT TO', "451 4.7.1 <{r}>: Recipient address rejected: Greylisted for 5 minutes"),
    'g_full_tmp': ('4.2.2', 'RCPT TO', "452 4.2.2 <{r}>: Recipient address rejected: Mailbox is full"),
    'g_storage': ('4.3.1', 'MAIL FROM', "452 4.3.1 Insufficient system storage"),
    'g_local_err': ('4.3.0', 'end of DATA', "451 4.3.0 Error: queue file write error"),
    'g_exim_tmp': ('4.0.0', 'RCPT TO', "451 Temporary local problem - please try later"),
    'g_config': ('4.3.5', 'RCPT TO', "451 4.3.5 Server configuration problem"),
    'g_toomany': ('4.7.0', 'greeting', "421 4.7.0 {mx} Error: too many connections from {ip}"),
    'g_cf_upstream': ('4.3.0', 'end of DATA', "421 4.3.0 Upstream error, please check https://developers.cloudflare.com/email-routing/postmaster/#error-codes for possible reasons why."),
    'g_rdns4': ('4.7.1', 'RCPT TO', "450 4.7.1 Client host rejected: cannot find your hostname, [{ip}]"),
    'g_dtspm': ('4.0.0', 'end of DATA', "451 DT:SPM 163 mx{n},{spm} {epoch}, please try again 15min later"),
    'g_tls454': ('4.7.0', 'STARTTLS', "454 4.7.0 TLS not available due to local problem"),
    'g_ratelimit': ('4.7.1', 'MAIL FROM', "450 4.7.1 <{s}>: Sender address rejected: Rate limit exceeded, try again later"),
    'g_data_busy': ('4.3.2', 'DATA', "451 4.3.2 System not accepting network messages, try again later"),
    'exch_notfound': ('5.1.1', 'RCPT TO', "550 5.1.1 RESOLVER.ADR.RecipNotFound; not found"),
}
# replies that are not "host X said:" texts: key -> (dsn, relay_is_none, template)
XTEXT = {
    'x_timeout': ('4.4.1', 0, "connect to {mx}[{mxip}]:25: Connection timed out"),
    'x_refused': ('4.4.1', 0, "connect to {mx}[{mxip}]:25: Connection refused"),
    'x_greet_lost': ('4.4.2', 0, "lost connection with {mx}[{mxip}] while receiving the initial server greeting"),
    'x_greet_to': ('4.4.2', 0, "conversation with {mx}[{mxip}] timed out while receiving the initial server greeting"),
    'x_lost_rcpt': ('4.4.2', 0, "lost connection with {mx}[{mxip}] while sending RCPT TO"),
    'x_lost_mail': ('4.4.2', 0, "lost connection with {mx}[{mxip}] while sending MAIL FROM"),
    'x_eod_to': ('4.4.2', 0, "conversation with {mx}[{mxip}] timed out while sending end of data -- message may be sent more than once"),
    'x_body': ('4.4.2', 0, "lost connection with {mx}[{mxip}] while sending message body"),
    'x_susp_to': ('4.4.1', 1, "delivery temporarily suspended: connect to {mx}[{mxip}]:25: Connection timed out"),
    'x_susp_lost': ('4.4.2', 1, "delivery temporarily suspended: lost connection with {mx}[{mxip}] while sending RCPT TO"),
    'x_dns_tmp': ('4.4.3', 1, "Host or domain name not found. Name service error for name={rd} type=MX: Host not found, try again"),
    'x_tls_req': ('4.7.4', 0, "TLS is required, but was not offered by host {mx}[{mxip}]"),
    'x_tls_hs': ('4.7.5', 0, "Cannot start TLS: handshake failure"),
    'x_tls_cert': ('4.7.5', 0, "Server certificate not verified"),
    'x_nxdomain': ('5.4.4', 1, "Host or domain name not found. Name service error for name={rd} type=MX: Host not found"),
    'x_nxa': ('5.4.4', 1, "Host or domain name not found. Name service error for name=mail.{rd} type=A: Host not found"),
    'x_nullmx': ('5.1.0', 1, "Domain {rd} does not accept mail (nullMX)"),
    'x_loop': ('5.4.6', 0, "mail for {rd} loops back to myself"),
}
PKEYS = {
    'gmail': ([('gm_spam', 4), ('gm_dmarc', 3), ('gm_unauth', 3), ('gm_nouser', 7), ('gm_disabled', 2), ('gm_full', 1),
               ('gm_size', 1), ('gm_lowrep', 2), ('gm_ptr', 1), ('gm_rfc5322', 1)],
              [('gm_rate', 3), ('gm_url', 1), ('gm_fulltmp', 1), ('gm_rcvrate', 2), ('gm_unauth_tmp', 2), ('gm_tmp', 1),
               ('x_timeout', 1)]),
    'msc': ([('ms_606', 2), ('ms_s3150', 3), ('ms_550', 5), ('ms_509', 2), ('ms_515', 2), ('ms_708', 1)],
            [('ms_650', 3), ('ms_500', 2), ('x_lost_rcpt', 1)]),
    'msb': ([('ms_606', 2), ('ms_s3150', 2), ('ms_541', 6), ('ms_509', 2), ('ms_515', 2)],
            [('ms_650', 2), ('ms_500', 2), ('x_greet_lost', 1)]),
    'yahoo': ([('y_nouser', 5), ('y_disabled', 3), ('y_tss09', 1), ('y_unauth', 2), ('y_policy', 1)],
              [('y_tss04', 6), ('x_greet_to', 1)]),
    'gmx': ([('gmx_nouser', 4), ('gmx_ptr', 2)], [('gmx_rate', 3)]),
    'icloud': ([('ic_nouser', 4), ('ic_spam', 2)], [('ic_hm08', 2)]),
    'generic': ([('g_vmt', 6), ('g_lrt', 3), ('g_unroute', 2), ('g_sm_nouser', 2), ('g_exch_nouser', 3), ('g_relay', 2),
                 ('g_full', 3), ('g_size', 2), ('g_size2', 1), ('g_exsize', 1), ('g_zen', 2), ('g_barracuda', 2),
                 ('g_spamcop', 1), ('g_proofpoint', 2), ('g_mimecast', 1), ('g_spf', 2), ('g_sender_verify', 1),
                 ('g_content', 1), ('g_virus', 1), ('g_rdns5', 1), ('g_helo', 1), ('g_disabled', 1),
                 ('g_notlocal', 1), ('x_nxdomain', 4), ('x_nxa', 1), ('x_nullmx', 1), ('x_loop', 1)],
                [('g_grey_pg', 5), ('g_grey_milter', 3), ('g_grey_exim', 2), ('g_grey_sql', 2), ('g_full_tmp', 2),
                 ('g_storage', 1), ('g_local_err', 1), ('g_exim_tmp', 1), ('g_config', 1), ('g_toomany', 2),
                 ('g_cf_upstream', 1), ('g_rdns4', 1), ('g_dtspm', 1), ('g_tls454', 1), ('g_ratelimit', 1),
                 ('g_data_busy', 1), ('x_timeout', 4), ('x_refused', 2), ('x_greet_lost', 1), ('x_greet_to', 1),
                 ('x_lost_rcpt', 1), ('x_lost_mail', 1), ('x_eod_to', 1), ('x_body', 1), ('x_susp_to', 2),
                 ('x_susp_lost', 1), ('x_dns_tmp', 2), ('x_tls_req', 1), ('x_tls_hs', 1), ('x_tls_cert', 1)]),
}
PERSIST = ('x_timeout', 'x_refused', 'x_greet_to', 'x_susp_to', 'x_dns_tmp', 'x_tls_req', 'x_tls_cert')


def cumtab(items):
    c = []
    k = []
    t = 0
    for key, w in items:
        t += w
        c.append(t)
        k.append(key)
    return (c, k)


PTAB = {p: (cumtab(b), cumtab(d)) for p, (b, d) in PKEYS.items()}

PROV_MX = {
    'gmail': (('gmail-smtp-in.l.google.com', ('142.250.102.27', '142.251.9.26', '74.125.206.27', '64.233.184.26',
                                              '2a00:1450:400c:c0b::1a', '2a00:1450:4013:c16::1b')),
              ('alt1.gmail-smtp-in.l.google.com', ('142.250.153.27', '2a00:1450:4013:c1a::1b'))),
    'gws': (('aspmx.l.google.com', ('74.125.133.27', '142.250.27.26', '2a00:1450:400c:c07::1a')),
            ('alt1.aspmx.l.google.com', ('142.250.153.26', '2a00:1450:4013:c1a::1a'))),
    'yahoo': (('mta5.am0.yahoodns.net', ('67.195.204.72', '67.195.204.77', '98.136.96.74')),
              ('mta6.am0.yahoodns.net', ('98.136.96.91', '67.195.228.94')),
              ('mta7.am0.yahoodns.net', ('67.195.228.106', '98.136.96.75'))),
    'gmx': (('mx00.emig.gmx.net', ('212.227.15.9',)), ('mx01.emig.gmx.net', ('212.227.17.5',))),
    'webde': (('mx-ha02.web.de', ('212.227.15.41',)), ('mx-ha03.web.de', ('212.227.17.8',))),
    'icloud': (('mx01.mail.icloud.com', ('17.57.154.33', '17.42.251.41')),
               ('mx02.mail.icloud.com', ('17.56.9.31',))),
}
TLS_IN = ("TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits) key-exchange X25519 server-signature RSA-PSS (2048 bits) server-digest SHA256",
          "TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits) key-exchange X25519 server-signature RSA-PSS (2048 bits) server-digest SHA256",
          "TLSv1.2 with cipher ECDHE-RSA-AES256-GCM-SHA384 (256/256 bits)",
          "TLSv1.3 with cipher TLS_AES_128_GCM_SHA256 (128/128 bits) key-exchange X25519 server-signature RSA-PSS (2048 bits) server-digest SHA256")
TLS_OUT = ("TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits) key-exchange X25519 server-signature ECDSA (P-256) server-digest SHA256",
           "TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits) key-exchange X25519 server-signature RSA-PSS (2048 bits) server-digest SHA256",
           "TLSv1.2 with cipher ECDHE-RSA-AES256-GCM-SHA384 (256/256 bits)")


class Msg:
    __slots__ = ('inst', 'qid', 'sender', 'size', 'rcpts', 'arr', 'n', 'msgid', 'warned', 'held', 'cip', 'cname',
                 'after', 'ndr', 'origin')

    def __init__(self, inst, qid, sender, size, rcpts, arr, msgid):
        self.inst = inst
        self.qid = qid
        self.sender = sender
        self.size = size
        self.rcpts = rcpts
        self.arr = arr
        self.n = 0
        self.msgid = msgid
        self.warned = False
        self.held = 0          # 1 = admin holds it after the next deferral
        self.cip = ''
        self.cname = ''
        self.after = None      # callback after the message is removed
        self.ndr = True        # send non-delivery notifications for bounces
        self.origin = ''


class Rc:
    __slots__ = ('addr', 'orig', 'route', 'plan', 'done')

    def __init__(self, addr, route, plan, orig=''):
        self.addr = addr
        self.orig = orig
        self.route = route
        self.plan = plan
        self.done = False


KIND_OF = {'sent': 'deliver', 'deliverable': 'deliver', 'bounced': 'bounce', 'undeliverable': 'bounce',
           'undeliverable-but-not-cached': 'bounce', 'deferred': 'defer', 'expired': 'expire'}
STATUS_OF = {'S': 'sent', 'D': 'deferred', 'B': 'bounced', 'U': 'undeliverable', 'N': 'undeliverable-but-not-cached',
             'V': 'deliverable'}


E2 = [a + b for a in LQ for b in LQ]     # two base-51 digits


def enc51(v, pad):
    out = []
    while v:
        v, d = divmod(v, 51)
        out.append(LQ[d])
    s = ''.join(reversed(out)) or '0'
    return s.rjust(pad, '0')


# --------------------------------------------------------------------------
# the generator: one per host
# --------------------------------------------------------------------------
class Gen:
    def __init__(self, host, seed, bench, sim):
        self.H = host
        self.sim = sim
        self.bench = bench
        self.r = random.Random(seed)
        self.rnd = self.r.random
        self._pid = host.pid_base
        self.qids = set()
        self.clients = {}       # queue id -> client IP of its smtpd "client=" line
        self.tpl = False        # template mode: identities become tokens (see build_templates)
        self.ntok = 0
        self.toks = {}
        host.insts = {}
        for (name, long_ids, ip, dr) in host.inst_spec:
            host.insts[name] = Inst(self, name, long_ids, ip, dr)
        self.main = host.insts['postfix']
        self.W = World(self, bench, host)
        self.end = host.end
        self.amavis_n = 10000 + int(self.rnd() * 20000)
        self.att_t0 = 0.0
        self.now = 0.0
        self.hdr = None

    # ---- small helpers
    def ch(self, seq):
        return seq[int(self.rnd() * len(seq))]

    def wk(self, tab):
        c, k = tab
        return k[bisect.bisect(c, self.rnd() * c[-1])]

    def tok(self, typ, extra=None):
        """Placeholder for an identity that each replay of a template draws afresh."""
        self.ntok += 1
        if extra is not None:
            self.toks[self.ntok] = extra
        return '\x01%s%d\x02' % (typ, self.ntok)

    def newpid(self, fixed=False):
        if self.tpl and not fixed:
            return self.tok('P')
        p = self._pid + 1 + int(self.rnd() * self.rnd() * 40)
        if p > 4194000:
            p = 300 + int(self.rnd() * 1000)
        self._pid = p
        return p

    def qid(self, t, inst):
        if self.tpl:
            return self.tok('Q' if inst.long else 'q')
        while True:
            us = int((t % 1.0) * 1000000)
            if inst.long:
                s = enc51(int(t), 6) + enc51(us, 4) + 'z' + enc51(2000 + int(self.rnd() * 6000000), 0)
            else:
                s = '%05X%X' % (us, 0x10000 + int(self.rnd() ** 3 * 0x7FF0000))
            if self.bench:
                return s
            if s not in self.qids:
                self.qids.add(s)
                return s
            t += 0.000001

    def rstr(self, n, alpha=ALNUM):
        rnd = self.rnd
        k = len(alpha)
        return ''.join([alpha[int(rnd() * k)] for _ in range(n)])

    def hexs(self, n):
        return '%0*x' % (n, int(self.rnd() * (16 ** n)))

    def L(self, t, prog, pid, msg, ev=None, shape=None):
        if shape is not None and shape.startswith('smtpd client='):
            # the message's client, which correlation by queue id gives its delivery outcomes
            qid, rest = msg.split(': client=', 1)
            self.clients[qid] = rest.split('[', 1)[1].split(']', 1)[0]
        self.sim.emit(t, '%s[%s]: %s' % (prog, pid, msg), ev, shape)

    def client_of(self, qid):
        return self.clients.get(qid, '')

    def T(self, t, tag, msg, shape):
        """A line of a non-Postfix program (dovecot logs without pid)."""
        self.sim.emit(t, '%s: %s' % (tag, msg), None, shape)

    def stamp(self, t):
        if self.tpl:
            return self.tok('S', t - self.sim.starts.get(self.sim.sid, t))
        return time.strftime('%Y%m%d%H%M%S', time.gmtime(t))

    def msgid(self, t, sender, kind=None):
        rnd = self.rnd
        dom = sender.rsplit('@', 1)[-1] if '@' in sender else self.H.fqdn
        x = rnd()
        if self.tpl:
            m = self.tok('m')
            if dom in ('gmail.com', 'googlemail.com'):
                return 'CA%s@mail.gmail.com' % m
            if PROVIDER.get(dom) == 'msc':
                return '%s@%s.prod.outlook.com' % (m, self.ch(('AM0PR02MB7411', 'DB9PR07MB8840', 'BN0PR12MB5702')))
            if x < 0.3:
                return '%s.%s@%s' % (self.stamp(t), m, dom)
            return '%s@%s' % (m, dom)
        if dom in ('gmail.com', 'googlemail.com') or kind == 'gmail':
            return 'CA%s@mail.gmail.com' % self.rstr(40, B64.replace('/', '_').replace('+', '-')[:62] + '+=')
        if PROVIDER.get(dom) == 'msc' or kind == 'ms':
            p = self.ch(('AM0PR02', 'DB9PR07', 'PAXPR08', 'VI1PR04', 'BN0PR12', 'SJ0PR11'))
            h = p + 'MB' + '%04d' % int(rnd() * 10000)
            return '%s%s@%s.%s.prod.outlook.com' % (h, self.rstr(16, '0123456789ABCDEF'), h,
                                                   self.ch(('eurprd02', 'eurprd07', 'namprd12', 'namprd11')))
        if x < 0.3:
            return '%s.%s@%s' % (self.stamp(t), self.hexs(10).upper(), dom)
        if x < 0.6:
            return '%s-%s-%s-%s-%s@%s' % (self.hexs(8), self.hexs(4), self.hexs(4), self.hexs(4), self.hexs(12), dom)
        if x < 0.8:
            return '%s.%d@%s' % (self.hexs(16), int(rnd() * 100000), dom)
        return '%s$%s@%s' % (self.rstr(12), self.hexs(6), dom)

    def port(self):
        return 1024 + int(self.rnd() * 64000)

    # ---- smtpd helpers
    def connect(self, t, prog, pid, c, tls=True):
        self.L(t, prog, pid, 'connect from %s[%s]' % (c[0], c[1]), None, 'smtpd connect')
        if tls:
            t += 0.05 + self.rnd() * 0.3
            self.L(t, prog, pid, 'Anonymous TLS connection established from %s[%s]: %s'
                   % (c[0], c[1], self.ch(TLS_IN)), None, 'smtpd TLS established')
        return t

    def disconnect(self, t, prog, pid, c, parts):
        s = []
        ok_sum = tot = 0
        for n, ok, total in parts:
            s.append('%s=%d' % (n, ok) if ok == total else '%s=%d/%d' % (n, ok, total))
            ok_sum += ok
            tot += total
        s.append('commands=%d' % ok_sum if ok_sum == tot else 'commands=%d/%d' % (ok_sum, tot))
        self.L(t, prog, pid, 'disconnect from %s[%s] %s' % (c[0], c[1], ' '.join(s)), None, 'smtpd disconnect')

    def reject(self, t, prog, pid, qid, where, c, code, dsn, text, sender=None, rcpt=None, proto='ESMTP',
               helo=None, action='reject', shape='smtpd reject RCPT', bare=False):
        if not code:
            reply = '%s %s' % (dsn, text)
        elif dsn:
            reply = '%s %s %s' % (code, dsn, text)
        else:
            reply = '%s %s' % (code, text)
        s = '%s: %s: %s from %s[%s]: %s' % (qid or 'NOQUEUE', action, where, c[0], c[1], reply)
        if bare:
            sender = rcpt = None
        else:
            s += ';'
            if sender is not None:
                s += ' from=<%s>' % sender
            if rcpt is not None:
                s += ' to=<%s>' % rcpt
            if proto:
                s += ' proto=%s' % proto
            if helo is not None:
                s += ' helo=<%s>' % helo
        kind = 'reject_warning' if action == 'reject_warning' else 'reject'
        ev = (kind, 'inbound', STAGE[where], qid or '', c[1], sender or '', rcpt or '', code, dsn)
        self.L(t, prog, pid, s, ev, shape)

    def cleanup_line(self, t, inst, qid, msg, ev=None, shape='cleanup message-id'):
        pool = inst.pools['cleanup']
        pid = pool.get(t)
        self.L(t, inst.p['cleanup'], pid, '%s: %s' % (qid, msg), ev, shape)
        pool.put(pid, t + 0.05)

    def qmgr(self, t, inst, m, nrcpt=None):
        self.L(t, inst.p['qmgr'], inst.fixed['qmgr'], '%s: from=<%s>, size=%d, nrcpt=%d (queue active)'
               % (m.qid, m.sender, m.size, nrcpt if nrcpt is not None else len(m.rcpts)), None, 'qmgr from= (queue active)')

    def removed(self, t, inst, qid):
        self.L(t, inst.p['qmgr'], inst.fixed['qmgr'], '%s: removed' % qid, None, 'qmgr removed')

    # ---- routing
    def route_for(self, addr):
        dom = addr.rsplit('@', 1)[-1].lower()
        r = self.H.routes.get(dom)
        if r:
            return r
        return ('smtp', dom)

    def local_plan(self, route, addr):
        """Outcome plan of a delivery to one of our own mailboxes."""
        x = self.rnd()
        k = route[0]
        if k in ('lmtp', 'mailstore'):
            if x < 0.012:
                return [('B', 'quota')]
            if x < 0.02:
                return [('D', 'quota'), ('D', 'quota'), ('S', None)]
            if x < 0.024:
                return [('D', 'down'), ('S', None)]
            return [('S', None)]
        if k == 'virtual':
            return [('B', 'quota')] if x < 0.02 else [('S', None)]
        if k == 'pipe':
            if x < 0.01:
                return [('D', 'tmp'), ('S', None)]
            return [('S', None)]
        if k == 'local':
            return [('S', None)]
        if k == 'discard':
            return [('S', None)]
        if k == 'error':
            return [('B', None)]
        return [('S', None)]

    def remote_plan(self, dom, quality=1.0):
        """Outcome plan of a delivery to a remote domain; quality < 1 for bulk/forwarded mail."""
        rnd = self.rnd
        prov = self.prov_of(dom)
        btab, dtab = PTAB[prov if prov in PTAB else 'generic']
        x = rnd()
        ok = 0.86 * quality
        if x < ok:
            return [('S', None)]
        if x < ok + 0.055:
            k = self.wk(dtab)
            n = 1 + int(rnd() * rnd() * 4)
            return [('D', k)] * n + [('S', None)]
        if x < 0.993 or prov != 'generic':
            return [('B', self.wk(btab))]
        return [('D', self.ch(PERSIST))]

    def prov_of(self, dom):
        p = PROVIDER.get(dom)
        if p:
            return p
        h = dom_hosting(dom, self.bench)
        if h == 'msb':
            return 'msb'
        if h == 'gws':
            return 'gmail'
        return 'generic'

    def mx_for(self, dom):
        """(name, ip) of the MX our smtp client talks to."""
        rnd = self.rnd
        rh = self.H.relayhosts.get(dom)
        if rh:
            return rh
        p = PROVIDER.get(dom)
        h = dom_hosting(dom, self.bench) if not p else ''
        if p == 'gmail':
            mxs = PROV_MX['gmail']
        elif h == 'gws':
            mxs = PROV_MX['gws']
        elif p == 'yahoo':
            mxs = PROV_MX['yahoo']
        elif p == 'gmx':
            mxs = PROV_MX['webde' if dom == 'web.de' else 'gmx']
        elif p == 'icloud':
            mxs = PROV_MX['icloud']
        elif p == 'msc' or h == 'msb':
            k = crc(dom)
            if dom.startswith('\x01'):
                name = '%s.mail.protection.outlook.com' % self.tok('h', int(dom[2:-1]))
            else:
                name = '%s.%s.protection.outlook.com' % (dom.replace('.', '-'), 'olc' if p else 'mail')
            if rnd() < 0.12:
                return (name, '2a01:111:f403:%x::%x' % (0xc200 + k % 200, 1 + k % 7))
            return (name, '52.101.%d.%d' % (k % 180 + 8, (k >> 8) % 250 + 1))
        else:
            k = crc(dom)
            if self.bench:
                a = 11 + k % 200
                if a in (100, 127, 169, 172, 192, 198, 203):
                    a += 1
                ip1 = '%d.%d.%d.%d' % (a, (k >> 8) % 256, (k >> 16) % 256, 1 + (k >> 24) % 250)
            else:
                ip1 = '%s%d' % (('198.51.100.', '203.0.113.')[k % 2], 10 + (k >> 3) % 30)
            if rnd() < 0.85:
                return ('mx1.%s' % dom if k % 3 else 'mail.%s' % dom, ip1)
            return ('mx2.%s' % dom, ip1[:ip1.rfind('.') + 1] + str(int(ip1[ip1.rfind('.') + 1:]) % 250 + 2))
        name, ips = mxs[0] if rnd() < 0.85 else mxs[int(rnd() * len(mxs))]
        return (name, ips[int(rnd() * len(ips))])

    def fill(self, tmpl, m, rc, mx, mxip):
        rnd = self.rnd
        addr = rc.addr
        dom = addr.rsplit('@', 1)[-1]
        s = m.sender or ('MAILER-DAEMON@%s' % self.H.fqdn)
        d = {'ip': self.H.ip6 if ':' in mxip else self.H.ip, 'r': addr, 'rd': dom, 's': s,
             'sd': s.rsplit('@', 1)[-1], 'mx': mx, 'mxip': mxip, 'myip': self.H.ip,
             'mxs': 'web.de' if 'web.de' in mx else 'gmx.net'}
        if '{gid}' in tmpl:
            d['gid'] = '%s-%ssi%d%s.%d' % (self.hexs(13), self.hexs(11), 1000000 + int(rnd() * 8999999),
                                           self.rstr(3, 'abcdefghijklmnopqrstuvwxyz0123456789'), int(rnd() * 500))
        if '{ms}' in tmpl:
            d['ms'] = '%sPEPF%s.%s.prod.outlook.com %s.%03dZ %s' % (
                self.ch(('AM4', 'DB1', 'BN2', 'SN1', 'DU2', 'CH1', 'AMS0')), self.rstr(8, '0123456789ABCDEF'),
                self.ch(('eurprd04', 'eurprd03', 'namprd04', 'namprd05', 'eurprd09')),
                time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime(self.now)),
                int(rnd() * 1000), self.rstr(16, '0123456789ABCDEF'))
        if '{yid}' in tmpl:
            d['yid'] = 'mta%d.mail.%s.yahoo.com' % (1000 + int(rnd() * 4000), self.ch(('gq1', 'bf1', 'ne1', 'ir2')))
        if '{mc}' in tmpl:
            d['mc'] = self.rstr(22, ALNUM + '-_')
            d['n'] = 1 + int(rnd() * 600)
        if '{aid}' in tmpl:
            d['aid'] = '%05d-%02d' % (int(rnd() * 99999), 1 + int(rnd() * 20))
        if '{r2}' in tmpl:
            d['r2'] = '%s@%s' % (addr.split('@')[0], self.W.biz_domain())
        if '{spm}' in tmpl:
            d['n'] = int(rnd() * 60)
            d['spm'] = '%s--.%dS3' % (self.rstr(30, ALNUM), 10000 + int(rnd() * 80000))
            d['epoch'] = int(self.now)
        return tmpl.format(**d)

    # ---- delivery machinery
    def deliver(self, t, m, rc, st, key, conn):
        """One delivery agent status line for one recipient; returns the time after it."""
        rnd = self.rnd
        H = self.H
        inst = m.inst
        self.now = t
        route = rc.route
        k = route[0]
        addr = rc.addr
        c = 0.0
        dtx = 0.01 + rnd() * 0.1
        status = STATUS_OF[st]
        after = None
        cu = ''
        if k == 'lmtp' or k == 'mailstore':
            agent = 'lmtp'
            relay = H.lmtp_relay if k == 'lmtp' else H.mailstore
            rname = relay[:relay.index('[')] + relay[relay.index('['):relay.index(']') + 1]
            sess = self.rstr(22, B64[:62])
            if st == 'S':
                dsn = '2.0.0'
                text = '250 2.0.0 <%s> %s Saved' % (addr, sess)
                if H.dovecot:
                    after = ('dovecot', 'lmtp(%s)<%d><%s>: msgid=<%s>: saved mail to INBOX'
                             % (addr, 20000 + int(rnd() * 40000), sess, m.msgid or '?'), 'dovecot lmtp saved')
            elif st == 'B' and key == 'quota':
                dsn = '5.2.2'
                text = 'host %s said: 552 5.2.2 <%s> Quota exceeded (mailbox for user is full) (in reply to end of DATA command)' % (rname, addr)
                if H.dovecot:
                    after = ('dovecot', 'lmtp(%s)<%d><%s>: msgid=<%s>: save failed to INBOX: Quota exceeded (mailbox for user is full)'
                             % (addr, 20000 + int(rnd() * 40000), sess, m.msgid or '?'), 'dovecot lmtp quota')
            elif st == 'B':
                dsn = '5.1.1'
                text = "host %s said: 550 5.1.1 <%s> User doesn't exist: %s (in reply to RCPT TO command)" % (rname, addr, addr)
            elif key == 'down':
                dsn = '4.4.1'
                relay = 'none'
                text = 'connect to %s: No such file or directory' % rname if k == 'lmtp' else \
                    'connect to %s: Connection refused' % rname
            else:
                dsn = '4.2.2'
                text = 'host %s said: 452 4.2.2 <%s> Quota exceeded (mailbox for user is full) (in reply to RCPT TO command)' % (rname, addr)
        elif k == 'virtual':
            agent = 'virtual'
            relay = 'virtual'
            if st == 'S':
                dsn = '2.0.0'
                text = 'delivered to maildir'
            else:
                dsn = '5.2.2'
                lp, dom = addr.split('@')
                text = 'maildir delivery failed: create maildir file /var/mail/vhosts/%s/%s/tmp/%d.P%dQ%dM%d.%s: Disk quota exceeded' % (
                    dom, lp, int(t), 1000 + int(rnd() * 60000), 1 + int(rnd() * 9), int(rnd() * 999999), H.fqdn)
        elif k == 'pipe':
            agent = 'pipe'
            relay = route[1]
            if st == 'S':
                dsn = '2.0.0'
                text = 'delivered via %s service' % route[1]
            elif st == 'B' and key == 'loop':
                dsn = '5.4.6'
                text = 'mail forwarding loop for %s' % addr
            elif st == 'B':
                dsn = '5.1.1'
                text = 'user unknown'
            else:
                dsn = '4.3.0'
                text = 'temporary failure'
        elif k == 'local':
            agent = 'local'
            relay = 'local'
            user = addr.split('@')[0]
            if st == 'S':
                dsn = '2.0.0'
                text = self.ch(('delivered to mailbox', 'delivered to mailbox',
                                'delivered to command: procmail -a "$EXTENSION"', 'delivered to file: /dev/null'))
            elif key == 'full':
                dsn = '5.2.2'
                text = 'cannot update mailbox /var/mail/%s for user %s. error writing message: File too large' % (user, user)
            else:
                dsn = '5.1.1'
                text = 'unknown user: "%s"' % user
        elif k == 'discard':
            agent = 'discard'
            relay = 'none'
            dsn = '2.0.0'
            text = route[1]
        elif k == 'error':
            agent = 'error'
            relay = 'none'
            dsn = route[1]
            text = route[2]
        elif k == 'amavis':
            agent = 'smtp'
            relay = '127.0.0.1[127.0.0.1]:10024'
            a = conn.get('amavis')
            if a is None:
                a = self.amavis_scan(t, m, route[1])
                conn['amavis'] = a
            tdone, text, dsn, status = a
            c = 0.01 + rnd() * 0.02
            dtx = max(0.001, tdone - t - c)
        else:   # remote smtp
            agent = 'smtp'
            dom = route[1]
            ck = conn.get(dom)
            if ck is None:
                mx, mxip = self.mx_for(dom)
                conn[dom] = ck = [mx, mxip, inst.pools['smtp'].get(t), 0, False, False]
            else:
                mx, mxip = ck[0], ck[1]
            pid = ck[2]
            if ck[5]:
                # the session of the previous recipient is reused
                ck[3] += 1
                cu = 'conn_use=%d, ' % ck[3]
            else:
                ck[3] = 1
                c = 0.05 + rnd() * 0.6
            relay = '%s[%s]:25' % (mx, mxip)
            if st in 'SV':
                ck[5] = True
                dsn = '2.1.5' if st == 'V' else '2.0.0'
                if not ck[4] and H.tls_log and rnd() < 0.7:
                    ck[4] = True
                    self.L(t + c * 0.8, inst.p['smtp'], pid, '%s TLS connection established to %s[%s]:25: %s' % (
                        'Trusted' if '.google.com' in mx or 'outlook.com' in mx or 'yahoodns' in mx or 'icloud' in mx
                        else self.ch(('Verified', 'Untrusted', 'Trusted')), mx, mxip, self.ch(TLS_OUT)),
                        None, 'smtp TLS established')
                if st == 'V':
                    text = '250 2.1.5 Ok'
                else:
                    if ck[3] == 1 and ((mx.startswith('mx1.') and rnd() < 0.12) or m.origin == 'backupmx'):
                        m.origin = ''
                        mx, mxip, relay, c = self.first_mx_fails(t, m, rc, mx, mxip, pid, c, dom)
                        ck[0], ck[1] = mx, mxip
                    text = self.sent_text(m, rc, mx)
                if ck[3] == 1 and ('google.com' in mx) and ':' not in mxip and rnd() < 0.25:
                    self.L(t, inst.p['smtp'], pid, 'connect to %s[%s]:25: Network is unreachable'
                           % (mx, self.ch(('2a00:1450:400c:c0b::1a', '2a00:1450:4013:c16::1b', '2a00:1450:400c:c07::1a'))),
                           None, 'smtp connect to (standalone, no event)')
            else:
                if key in XTEXT:
                    dsn, none, tmpl = XTEXT[key]
                    text = self.fill(tmpl, m, rc, mx, mxip)
                    ck[5] = False
                    cu = ''
                    if none:
                        relay = 'none'
                    if key in ('x_timeout', 'x_susp_to', 'x_greet_to', 'x_eod_to'):
                        c = 30.0 + rnd() * 0.5
                else:
                    dsn, cmd, tmpl = REPLY[key]
                    reply = self.fill(tmpl, m, rc, mx, mxip)
                    ck[5] = cmd not in ('greeting', 'MAIL FROM', 'STARTTLS')
                    if cmd == 'greeting':
                        text = 'host %s[%s] refused to talk to me: %s' % (mx, mxip, reply)
                    else:
                        text = 'host %s[%s] said: %s (in reply to %s command)' % (mx, mxip, reply, cmd)
                    if st == 'D' and ck[3] == 1 and rnd() < 0.5 and mx.startswith('mx1.') and cmd != 'greeting':
                        # first MX soft-fails, then the backup MX gives the final answer
                        mx2 = 'mx2' + mx[3:]
                        ip2 = mxip[:mxip.rfind('.') + 1] + str(int(mxip[mxip.rfind('.') + 1:]) % 250 + 3) \
                            if ':' not in mxip else mxip
                        self.L(t + c, inst.p['smtp'], pid, '%s: host %s[%s] said: %s (in reply to %s command)'
                               % (m.qid, mx, mxip, reply, cmd), None, 'smtp host said (standalone soft error, no event)')
                        relay = '%s[%s]:25' % (mx2, ip2)
                        text = text.replace('host %s[%s]' % (mx, mxip), 'host %s[%s]' % (mx2, ip2))
                        c += 0.3 + rnd() * 0.5
                if st == 'U':
                    status = 'undeliverable'
        if agent != 'smtp' or k == 'amavis':
            pool = inst.pools[agent]
            pid = pool.get(t)
            pool.put(pid, t + c + dtx + 0.01)
        te = t + c + dtx
        t0 = self.att_t0
        a = t0 - m.arr
        b = 0.002 + rnd() * 0.02 + (t - t0)
        line = '%s: to=<%s>, %srelay=%s, %s%s, dsn=%s, status=%s (%s)' % (
            m.qid, addr, ('orig_to=<%s>, ' % rc.orig) if rc.orig else '', relay, cu,
            delays(a if a > 0 else 0.0, b, c, dtx), dsn, status, text)
        kind = 'discard' if agent == 'discard' else KIND_OF[status]
        ev = (kind, 'outbound', delivery_stage(text), m.qid, self.client_of(m.qid), m.sender, addr,
              delivery_code(text), dsn)
        self.L(te, inst.p[agent], pid, line, ev, 'delivery %s status=%s' % (agent, status))
        if after:
            self.T(te + 0.001, after[0], after[1], after[2])
        return te + 0.001 + rnd() * 0.01

    SOFT = (('451 4.3.0 Error: queue file write error', 'end of DATA'),
            ('421 4.3.2 Service shutting down, closing transmission channel', 'MAIL FROM'),
            ('450 4.7.1 Client host rejected: cannot find your hostname, [{ip}]', 'RCPT TO'),
            ('451 4.3.5 Server configuration problem', 'RCPT TO'),
            ('452 4.3.1 Insufficient system storage', 'MAIL FROM'))

    def first_mx_fails(self, t, m, rc, mx, mxip, pid, c, dom):
        """The primary MX answers 4xx (standalone line, no event); the backup MX takes the mail."""
        rnd = self.rnd
        reply, cmd = self.ch(self.SOFT)
        reply = reply.replace('{ip}', self.H.ip)
        if rnd() < 0.3:
            self.L(t + c, m.inst.p['smtp'], pid, 'connect to %s[%s]:25: Connection refused' % (mx, mxip), None,
                   'smtp connect to (standalone, no event)')
        else:
            self.L(t + c, m.inst.p['smtp'], pid, '%s: host %s[%s] said: %s (in reply to %s command)'
                   % (m.qid, mx, mxip, reply, cmd), None, 'smtp host said (standalone soft error, no event)')
        mx2 = 'mx2.' + dom
        ip2 = mxip[:mxip.rfind('.') + 1] + str(int(mxip[mxip.rfind('.') + 1:]) % 250 + 3) if ':' not in mxip else mxip
        c += 0.3 + rnd() * 0.5
        return mx2, ip2, '%s[%s]:25' % (mx2, ip2), c

    def sent_text(self, m, rc, mx):
        rnd = self.rnd
        if 'google.com' in mx:
            return '250 2.0.0 OK  %d %s - gsmtp' % (int(self.now) + 3600, '%s-%ssi%d%s.%d' % (
                self.hexs(13), self.hexs(11), 1000000 + int(rnd() * 8999999), self.rstr(3, 'abcdefghijklmnopqrstuvwxyz'),
                int(rnd() * 500)))
        if 'outlook.com' in mx:
            return '250 2.6.0 <%s> [InternalId=%d, Hostname=%sMB%04d.%s.prod.outlook.com] %d bytes in %.3f, %.3f KB/sec Queued mail for delivery' % (
                m.msgid or 'unknown', 10000000000000 + int(rnd() * 89999999999999), self.ch(('AM8PR02', 'DB9PR07', 'BN0PR12', 'PA4PR08')),
                int(rnd() * 10000), self.ch(('eurprd02', 'eurprd07', 'namprd12')), m.size + 600, 0.05 + rnd() * 0.3,
                20 + rnd() * 300)
        if 'yahoodns' in mx:
            return '250 ok dirdel'
        if 'gmx' in mx or 'web.de' in mx:
            return '250 Requested mail action okay, completed: id=%s' % self.rstr(20, ALNUM)
        if 'icloud' in mx:
            return '250 2.0.0 Ok: queued as %s' % self.rstr(12, '0123456789ABCDEF')
        x = rnd()
        if x < 0.55:
            return '250 2.0.0 Ok: queued as %s' % ('%05X%X' % (int(rnd() * 999999), 0x10000 + int(rnd() * 0xFFFFF)))
        if x < 0.7:
            return '250 2.0.0 Ok: queued as %s' % (enc51(int(self.now), 6) + enc51(int(rnd() * 999999), 4) + 'z' +
                                                  enc51(int(rnd() * 6000000), 0))
        if x < 0.85:
            return '250 OK id=%s-%s-%s' % (self.rstr(6, ALNUM), self.rstr(6, ALNUM), self.rstr(2, ALNUM))
        return '250 2.6.0 <%s> [InternalId=%d, Hostname=EXCH%02d.%s] Queued mail for delivery' % (
            m.msgid or 'x', int(rnd() * 9e12), 1 + int(rnd() * 9), rc.addr.split('@')[1])

    def amavis_scan(self, t, m, verdict):
        """Content filter hop through amavis; returns (t, smtp text, dsn, status)."""
        rnd = self.rnd
        inst = m.inst
        self.amavis_n += 1
        aid = '%05d-%02d' % (self.amavis_n % 100000, 1 + int(rnd() * 12))
        apid = self.H.amavis_pid + (self.amavis_n % 7)
        t += 0.8 + rnd() * 2.5
        rl = ','.join('<%s>' % rc.addr for rc in m.rcpts)
        mid = self.rstr(12, ALNUM + '-_')
        cport = self.port()
        if verdict == 'clean':
            pool = inst.pools['smtpd10025']
            pid = pool.get(t)
            lc = ('localhost', '127.0.0.1')
            nq = self.qid(t, inst)
            self.L(t, inst.p['smtpd'], pid, 'connect from localhost[127.0.0.1]', None, 'smtpd connect')
            self.L(t + 0.001, inst.p['smtpd'], pid, '%s: client=localhost[127.0.0.1]' % nq, None, 'smtpd client=')
            self.cleanup_line(t + 0.002, inst, nq, 'message-id=<%s>' % m.msgid)
            nm = Msg(inst, nq, m.sender, m.size + 650 + int(rnd() * 300),
                     [Rc(rc.addr, rc.route[2], rc.route[3], rc.orig) for rc in m.rcpts], t + 0.003, m.msgid)
            self.qmgr(t + 0.003, inst, nm)
            n = len(m.rcpts)
            self.disconnect(t + 0.004, inst.p['smtpd'], pid, lc,
                            (('ehlo', 1, 1), ('mail', 1, 1), ('rcpt', n, n), ('data', 1, 1), ('quit', 1, 1)))
            pool.put(pid, t + 0.005)
            self.T(t + 0.006, 'amavis[%d]' % apid, '(%s) Passed CLEAN {RelayedInbound}, [%s]:%d [%s] <%s> -> %s, Queue-ID: %s, Message-ID: <%s>, mail_id: %s, Hits: %.3f, size: %d, queued_as: %s, %d ms'
                   % (aid, m.cip, cport, m.cip, m.sender, rl, m.qid, m.msgid, mid, -2 + rnd() * 5, m.size, nq,
                      400 + int(rnd() * 3000)), 'amavis Passed CLEAN')
            self.sim.at(t + 0.02, self.attempt, nm)
            return (t + 0.007, '250 2.0.0 from MTA(smtp:[127.0.0.1]:10025): 250 2.0.0 Ok: queued as %s' % nq, '2.0.0', 'sent')
        hits = 8 + rnd() * 20
        if verdict == 'virus':
            self.T(t, 'amavis[%d]' % apid, '(%s) Blocked INFECTED (Eicar-Signature) {DiscardedInbound,Quarantined}, [%s]:%d [%s] <%s> -> %s, quarantine: virus-%s, Queue-ID: %s, Message-ID: <%s>, mail_id: %s, Hits: -, size: %d, %d ms'
                   % (aid, m.cip, cport, m.cip, m.sender, rl, mid, m.qid, m.msgid, mid, m.size, 300 + int(rnd() * 2000)),
                   'amavis Blocked')
            return (t + 0.001, '250 2.7.0 Ok, discarded, id=%s - INFECTED: Eicar-Signature' % aid, '2.7.0', 'sent')
        self.T(t, 'amavis[%d]' % apid, '(%s) Blocked SPAM {%s,Quarantined}, [%s]:%d [%s] <%s> -> %s, quarantine: spam-%s, Queue-ID: %s, Message-ID: <%s>, mail_id: %s, Hits: %.3f, size: %d, %d ms'
               % (aid, 'DiscardedInbound' if verdict == 'spam' else 'BouncedInbound', m.cip, cport, m.cip, m.sender, rl,
                  mid, m.qid, m.msgid, mid, hits, m.size, 300 + int(rnd() * 4000)), 'amavis Blocked')
        if verdict == 'spam':
            return (t + 0.001, '250 2.7.0 Ok, discarded, id=%s - spam' % aid, '2.7.0', 'sent')
        return (t + 0.001, 'host 127.0.0.1[127.0.0.1] said: 554 5.7.0 Reject, id=%s - spam (in reply to end of DATA command)' % aid,
                '5.7.0', 'bounced')

    def attempt(self, t, m):
        """One pass of the queue manager over message m (a heap continuation)."""
        H = self.H
        inst = m.inst
        rnd = self.rnd
        if m.n > 0:
            if t - m.arr > H.lifetime:
                return self.expire(t, m)
            self.qmgr(t, inst, m, sum(1 for rc in m.rcpts if not rc.done))
            t += 0.001 + rnd() * 0.05
        bounced = []
        conn = {}
        t0 = t
        self.att_t0 = t
        lanes = {}      # one delivery process per destination; destinations run in parallel
        for rc in m.rcpts:
            if rc.done:
                continue
            plan = rc.plan
            st, key = plan[m.n] if m.n < len(plan) else plan[-1]
            lane = rc.route[1] if rc.route[0] == 'smtp' else rc.route[0]
            tl = lanes.get(lane, t0)
            if rc.route[0] == 'amavis':
                # the content filter decides the outcome of the first hop
                tl = self.deliver(tl, m, rc, 'S', None, conn)
                if conn['amavis'][3] == 'bounced':
                    bounced.append(rc)
                rc.done = True
            else:
                tl = self.deliver(tl, m, rc, st, key, conn)
                if st != 'D':
                    rc.done = True
                    if st in 'BUN':
                        bounced.append(rc)
            lanes[lane] = tl
            if tl > t:
                t = tl
        for v in conn.values():
            if type(v) is list:
                inst.pools['smtp'].put(v[2], t + 0.01)
        m.n += 1
        t += 0.002 + rnd() * 0.02
        if bounced and m.ndr and m.sender:
            t = self.ndr(t, m, 'non-delivery')
        if any(not rc.done for rc in m.rcpts):
            if H.delay_warning and not m.warned and m.sender and m.ndr and t - m.arr > H.delay_warning:
                m.warned = True
                t = self.ndr(t, m, 'delay')
            back = min(H.min_backoff * (2 ** (m.n - 1)), H.max_backoff) * (0.9 + rnd() * 0.3)
            if m.held in (1, 4):
                self.sim.at(t + 120 + rnd() * 3000, self.admin_hold, m)
            elif t + back < self.end:
                self.sim.at(t + back, self.attempt, m)
        else:
            self.removed(t, inst, m.qid)
            if m.after:
                m.after(t, m)

    def expire(self, t, m):
        inst = m.inst
        self.L(t, inst.p['qmgr'], inst.fixed['qmgr'], '%s: from=<%s>, status=expired, returned to sender'
               % (m.qid, m.sender), ('expire', 'outbound', '', m.qid, self.client_of(m.qid), m.sender, '', '', ''),
               'qmgr status=expired')
        t += 0.01
        if m.sender and m.ndr:
            t = self.ndr(t, m, 'non-delivery')
        self.removed(t + 0.01, inst, m.qid)

    def ndr(self, t, m, what):
        """bounce(8) notifies the sender; the notification is a new message from <>."""
        rnd = self.rnd
        inst = m.inst
        pool = inst.pools['bounce']
        pid = pool.get(t)
        nq = self.qid(t, inst)
        self.L(t, inst.p['bounce'], pid, '%s: sender %s notification: %s' % (m.qid, what, nq), None,
               'bounce sender %s notification' % what)
        pool.put(pid, t + 0.01)
        t += 0.002 + rnd() * 0.01
        nmid = '%s.%s@%s' % (self.stamp(t), nq, self.H.fqdn)
        self.cleanup_line(t, inst, nq, 'message-id=<%s>' % nmid)
        to, orig = m.sender, ''
        if to.startswith('SRS0='):
            # postsrsd reverses the rewritten sender of forwarded mail
            f = to.split('@')[0].split('=')
            if len(f) >= 5:
                to, orig = '%s@%s' % ('='.join(f[4:]), f[3]), m.sender
        route = self.route_for(to)
        if route[0] == 'smtp':
            x = rnd()
            if m.origin == 'spam':
                plan = [('B', self.ch(('g_vmt', 'g_unroute', 'x_nxdomain', 'g_exch_nouser')))] if x < 0.55 else \
                    [('D', 'x_timeout'), ('B', 'g_vmt')] if x < 0.65 else [('S', None)]
            else:
                plan = self.remote_plan(route[1])
                if plan[-1][0] == 'D':
                    plan = [('S', None)]
        else:
            plan = [('S', None)]
        nm = Msg(inst, nq, '', 2200 + m.size // 3 if m.size < 60000 else 4800 + int(rnd() * 2000),
                 [Rc(to, route, plan, orig)], t, nmid)
        nm.ndr = False
        t += 0.001
        self.qmgr(t, inst, nm)
        self.sim.at(t + 0.01 + rnd() * 0.05, self.attempt, nm)
        return t + 0.002

    def admin_hold(self, t, m):
        """The postmaster holds a stuck message, then releases or requeues it (postsuper)."""
        inst = m.inst
        rnd = self.rnd
        pool = inst.pools['postsuper']
        pid = pool.get(t)
        for rc in m.rcpts:
            if not rc.done:
                rc.plan = rc.plan[:m.n] + [('S', None)]
        if m.held == 4:
            # "postsuper -r": requeue after the destination came back
            m.held = 3
            self.L(t, inst.p['postsuper'], pid, '%s: requeued' % m.qid, None, 'postsuper requeued')
            self.L(t + 0.001, inst.p['postsuper'], pid, 'Requeued: 1 message', None, 'postsuper summary')
            pool.put(pid, t + 0.01)
            self.sim.at(t + 1 + rnd() * 20, self.attempt, m)
            return
        m.held = 2
        self.L(t, inst.p['postsuper'], pid, '%s: placed on hold' % m.qid, None, 'postsuper placed on hold')
        self.L(t + 0.001, inst.p['postsuper'], pid, 'Placed on hold: 1 message', None, 'postsuper summary')
        pool.put(pid, t + 0.01)
        t2 = t + 600 + rnd() * 7200
        if t2 > self.end:
            return
        pid = pool.get(t2)
        self.L(t2, inst.p['postsuper'], pid, '%s: released from hold' % m.qid, None, 'postsuper released from hold')
        self.L(t2 + 0.001, inst.p['postsuper'], pid, 'Released from hold: 1 message', None, 'postsuper summary')
        if rnd() < 0.5:
            self.L(t2 + 0.002, inst.p['postsuper'], pid, '%s: requeued' % m.qid, None, 'postsuper requeued')
            self.L(t2 + 0.003, inst.p['postsuper'], pid, 'Requeued: 1 message', None, 'postsuper summary')
        pool.put(pid, t2 + 0.01)
        m.held = 3
        self.sim.at(t2 + 1 + rnd() * 20, self.attempt, m)

    # ======================================================================
    # stories
    # ======================================================================
    def ps_pass(self, t, inst, c, mode=None, legit=False):
        """postscreen lets a client through to smtpd; returns the time of hand-off."""
        rnd = self.rnd
        p = inst.p['postscreen']
        pid = inst.fixed['postscreen']
        port = self.port()
        ip = c[1]
        self.L(t, p, pid, 'CONNECT from [%s]:%d to [%s]:25' % (ip, port, inst.ip), None, 'postscreen CONNECT')
        if mode is None:
            x = rnd()
            mode = 'old' if x < 0.82 else 'new' if (x < 0.9 or not legit) else 'wl'
        if mode == 'old':
            t += 0.001 + rnd() * 0.01
            self.L(t, p, pid, 'PASS OLD [%s]:%d' % (ip, port), None, 'postscreen PASS OLD')
        elif mode == 'new':
            if rnd() < 0.4 and self.H.dnsbl_log:
                pool = inst.pools['dnsblog']
                dp = pool.get(t)
                self.L(t + 0.05, inst.p['dnsblog'], dp, 'addr %s listed by domain list.dnswl.org as 127.0.%d.%d'
                       % (ip, self.ch((3, 5, 6, 9, 10, 15)), self.ch((0, 1, 2, 3))), None, 'dnsblog addr listed')
                pool.put(dp, t + 0.06)
            t += 6.0 + rnd() * 0.05
            self.L(t, p, pid, 'PASS NEW [%s]:%d' % (ip, port), None, 'postscreen PASS NEW')
        else:
            t += 0.001
            self.L(t, p, pid, '%s [%s]:%d' % (self.H.wl_word, ip, port), None, 'postscreen %s' % self.H.wl_word)
        return t + 0.001 + rnd() * 0.01

    def legit_sender(self):
        """(sender, client) of wanted inbound mail."""
        rnd = self.rnd
        W = self.W
        x = rnd()
        if x < 0.16:
            prov = self.ch(('ses', 'sendgrid', 'mailchimp'))
            d = W.biz_domain()
            u = W.person()
            if prov == 'ses':
                s = '%s-%s-%s-%s-%s-000000@%s' % ('0100019' + self.hexs(9), self.hexs(8), self.hexs(4), self.hexs(4),
                                                  self.hexs(12), 'amazonses.com' if rnd() < 0.5 else 'mail.' + d)
            elif prov == 'sendgrid':
                s = 'bounces+%d-%s-%s=%s@em%d.%s' % (1000000 + int(rnd() * 9000000), self.hexs(4), u,
                                                    self.H.domains[0], 1000 + int(rnd() * 9000), d)
            else:
                s = 'bounce-mc.us%d_%d.%d-%s=%s@mail%d.atl%d.rsgsv.net' % (
                    1 + int(rnd() * 21), 10000000 + int(rnd() * 9e7), int(rnd() * 9e6), self.hexs(10), u, 1 + int(rnd() * 200),
                    11 + int(rnd() * 200))
            return s, W.provider_out(prov)
        s = W.ext_addr()
        return s, W.sender_client(s)

    def in_accept(self, t, inst, c, helo, sender, rcpts, prog=None, pid=None, tls=True, bdat=False, rej=None,
                  ps=None, spf=False, size=None, route_override=None, greylist_pass=None, warn=None, extra=None,
                  plan_override=None):
        """A complete accepted inbound SMTP session.  rcpts: list of (addr, orig); rej: {index: (code, dsn, text, shape)}
        (queued RCPT rejects).  Returns the Msg."""
        H = self.H
        rnd = self.rnd
        if ps is not False and H.postscreen and inst.name == 'postfix' and prog is None:
            t = self.ps_pass(t, inst, c, ps, legit=True)
        own = prog is None
        if own:
            pool = inst.pools['smtpd']
            pid = pool.get(t)
            prog = inst.p['smtpd']
            t = self.connect(t, prog, pid, c, tls)
        t += 0.1 + rnd() * 0.4
        if greylist_pass and H.other_progs:
            self.T(t, 'postgrey[%d]' % H.postgrey_pid, 'action=pass, reason=triplet found, delay=%d, client_name=%s, client_address=%s, sender=%s, recipient=%s'
                   % (greylist_pass, c[0], c[1], sender, rcpts[0][0]), 'postgrey action=pass')
        if spf and H.other_progs and sender:
            self.T(t, 'policyd-spf[%s]' % self.newpid(), 'prepend Received-SPF: Pass (mailfrom) identity=mailfrom; client-ip=%s; helo=%s; envelope-from=%s; receiver=<UNKNOWN>'
                   % (c[1], helo, sender), 'policyd-spf prepend (not Postfix)')
        qid = None
        ok = []
        if warn:
            self.reject(t, prog, pid, None, 'RCPT', c, warn[0], warn[1], warn[2], sender, rcpts[0][0], 'ESMTP', helo,
                        action='reject_warning', shape='smtpd reject_warning')
            t += 0.001
        for i, (addr, orig) in enumerate(rcpts):
            t += 0.02 + rnd() * 0.2
            if rej and i in rej:
                code, dsn, text, shape = rej[i]
                self.reject(t, prog, pid, qid, 'RCPT', c, code, dsn, text, sender, addr, 'ESMTP', helo, shape=shape)
                continue
            if qid is None:
                qid = self.qid(t, inst)
                self.L(t, prog, pid, '%s: client=%s[%s]' % (qid, c[0], c[1]), None, 'smtpd client=')
            ok.append((addr, orig))
        t += 0.2 + rnd() * 1.5
        n = len(rcpts)
        parts = [('ehlo', 2, 2), ('starttls', 1, 1)] if tls else [('ehlo', 1, 1)]
        parts.append(('mail', 1, 1))
        parts.append(('rcpt', len(ok), n))
        if not ok:
            parts.append(('quit', 1, 1))
            if own:
                self.disconnect(t, prog, pid, c, parts)
                pool.put(pid, t)
            return None
        mid = self.msgid(t, sender)
        self.cleanup_line(t, inst, qid, 'message-id=<%s>' % mid)
        if extra:
            t = extra(t, qid)
            if t is None:
                return None
        if H.other_progs and rnd() < 0.25:
            self.T(t + 0.01, 'opendkim[%d]' % H.opendkim_pid, '%s: DKIM verification successful' % qid
                   if rnd() < 0.7 else '%s: no signature data' % qid, 'opendkim (not Postfix)')
        m = Msg(inst, qid, sender, size or int(2000 + rnd() * rnd() * 90000), [], t, mid)
        m.cip = c[1]
        m.cname = c[0]
        for addr, orig in ok:
            route = route_override or self.route_for(addr)
            if route[0] == 'smtp':
                plan = self.remote_plan(route[1], 0.9)
            else:
                plan = self.local_plan(route, addr)
            if plan_override:
                plan = plan_override
            if H.amavis and inst.name == 'postfix' and route[0] in ('lmtp', 'virtual', 'pipe'):
                x = 0.0 if plan_override else rnd()
                verdict = 'clean' if x < 0.93 else 'spam' if x < 0.97 else 'reject' if x < 0.99 else 'virus'
                route = ('amavis', verdict, route, plan)
                plan = [('S', None)]
            m.rcpts.append(Rc(addr, route, plan, orig))
        t += 0.01
        self.qmgr(t, inst, m)
        t += 0.005
        parts.append(('bdat', 1, 1) if bdat else ('data', 1, 1))
        parts.append(('quit', 1, 1))
        if own:
            self.disconnect(t + 0.05 + rnd() * 0.2, prog, pid, c, parts)
            pool.put(pid, t + 0.3)
        self.sim.at(t + 0.002 + rnd() * 0.05, self.attempt, m)
        return m

    def our_rcpts(self, k):
        out = []
        for _ in range(k):
            a = self.W.our_user()
            if a not in [x[0] for x in out]:
                out.append((a, ''))
        return out

    def st_in_ok(self, t, v=None):
        """Wanted inbound mail to our users."""
        rnd = self.rnd
        H = self.H
        W = self.W
        inst = self.main
        sender, c = self.legit_sender()
        if v == 'ipv6':
            s = W.person() + '@' + self.ch(('gmail.com', 'outlook.com'))
            sender = s
            c = W.provider_out('gmail' if s.endswith('gmail.com') else 'msc')
            while ':' not in c[1]:
                c = W.provider_out('gmail' if s.endswith('gmail.com') else 'msc')
        if v == 'quoted':
            sender = '"%s %s"@%s' % (self.ch(FIRST), self.ch(LAST), W.biz_domain())
        k = 1 if rnd() < 0.82 else 2 + int(rnd() * 3)
        rcpts = self.our_rcpts(k)
        x = rnd()
        if v == 'alias' or (v is None and x < 0.06):
            role = self.ch(('postmaster', 'abuse', 'info', 'sales', 'office', 'hostmaster'))
            rcpts = [(W.our_user(), '%s@%s' % (role, H.domains[0]))]
        elif v == 'discard' or (v is None and x < 0.08 and 'discard' in H.special):
            rcpts = [(H.special['discard'], '')]
        elif v == 'pipe' or (v is None and x < 0.1 and 'pipe' in H.special):
            rcpts = [(H.special['pipe'] % self.ch(('announce', 'staff', 'users', 'dev')), '')]
        elif v == 'error' or (v is None and x < 0.11 and 'error' in H.special):
            rcpts = [('%s@%s' % (W.person(), H.special['error']), '')]
        ps = {'passnew': 'new', 'whitelisted': 'wl'}.get(v)
        po = None
        if v == 'lmtp_defer':
            po = self.ch(([('D', 'quota'), ('D', 'quota'), ('S', None)], [('D', 'down'), ('S', None)], [('D', 'quota'), ('S', None)]))
        elif v == 'lmtp_bounce':
            po = [('B', 'quota')]
        elif v == 'pipe_bounce':
            rcpts = [(H.special['pipe'] % self.ch(('old-announce', 'sales-team', 'board2019')), '')]
            po = [('B', self.ch(('nouser', 'loop')))]
        if po:
            rcpts = rcpts[:1]
        bdat = v == 'bdat' or (c[0].endswith('outlook.com') and rnd() < 0.7)
        self.in_accept(t, inst, c, c[2], sender, rcpts, tls=rnd() < 0.85 or bdat, bdat=bdat, ps=ps,
                       spf=rnd() < 0.3, plan_override=po)

    # ---- reasons our smtpd gives at RCPT
    IN_REASONS = cumtab([('unknown_user', 30), ('rbl', 16), ('rdns', 9), ('helo', 8), ('relay', 8), ('sender_domain', 5),
                         ('spf', 6), ('greylist1', 5), ('quota', 2), ('access', 3), ('pipelining', 2),
                         ('ratelimit', 1), ('rcpt_domain', 1), ('dbl', 2), ('openresolver', 1), ('nullmx', 1),
                         ('sender_fqdn', 1), ('dbl_helo', 1)])

    def in_reason(self, key, c, helo, sender, rcpt, sel=None):
        """-> (code, dsn, text, sender, rcpt, helo, shape); sel fixes the variant for a whole session."""
        ip = c[1]
        if sel is None:
            sel = self.rnd()

        def ch(seq):
            return seq[int(sel * len(seq))]
        shape = 'smtpd reject RCPT (NOQUEUE)'
        if key == 'unknown_user':
            return ('550', '5.1.1', '<%s>: Recipient address rejected: User unknown in %s' % (rcpt, self.H.unknown_table),
                    sender, rcpt, helo, shape)
        if key == 'rbl':
            lst = ch(('zen', 'zen', 'spamcop', 'barracuda', 'psbl', 'uce', 'zen454'))
            if lst == 'zen':
                t = ('554', '5.7.1', 'Service unavailable; Client host [%s] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/%s' % (ip, ip))
            elif lst == 'zen454':
                t = ('454', '4.7.1', 'Service unavailable; Client host [%s] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/%s' % (ip, ip))
            elif lst == 'spamcop':
                t = ('554', '5.7.1', 'Service unavailable; Client host [%s] blocked using bl.spamcop.net; Blocked - see https://www.spamcop.net/bl.shtml?%s' % (ip, ip))
            elif lst == 'barracuda':
                t = ('554', '5.7.1', 'Service unavailable; Client host [%s] blocked using b.barracudacentral.org; http://www.barracudanetworks.com/reputation/?pr=1&ip=%s' % (ip, ip))
            elif lst == 'psbl':
                t = ('554', '5.7.1', 'Service unavailable; Client host [%s] blocked using psbl.surriel.com; Listed in PSBL, see https://psbl.org/listing?ip=%s' % (ip, ip))
            else:
                t = ('554', '5.7.1', 'Service unavailable; Client host [%s] blocked using dnsbl-1.uceprotect.net; IP %s is UCEPROTECT-Level 1 listed. See http://www.uceprotect.net/rblcheck.php?ipr=%s' % (ip, ip, ip))
            return t + (sender, rcpt, helo, shape)
        if key == 'openresolver':
            return ('554', '5.7.1', 'Service unavailable; Client host [%s] blocked using zen.spamhaus.org; Error: open resolver; https://check.spamhaus.org/returnc/pub/%s/' % (ip, self.H.resolver),
                    sender, rcpt, helo, shape)
        if key == 'dbl':
            if not sender:
                sender = self.W.person() + '@' + self.W.spam_domain()
            d = sender.rsplit('@', 1)[-1]
            return ('554', '5.7.1', 'Service unavailable; Sender address [%s] blocked using dbl.spamhaus.org; https://www.spamhaus.org/query/domain/%s' % (sender, d),
                    sender, rcpt, helo, shape)
        if key == 'dbl_helo':
            helo = 'mail.' + self.W.spam_domain()
            return ('554', '5.7.1', 'Service unavailable; Helo command [%s] blocked using dbl.spamhaus.org; https://www.spamhaus.org/query/domain/%s' % (helo, helo[5:]),
                    sender, rcpt, helo, shape)
        if key == 'rdns':
            code, dsn, txt = ch((('450', '4.7.25', 'cannot find your hostname'), ('550', '5.7.25', 'cannot find your reverse hostname'),
                                 ('450', '4.7.1', 'cannot find your reverse hostname'), ('450', '4.7.1', 'cannot find your hostname')))
            return (code, dsn, 'Client host rejected: %s, [%s]' % (txt, ip), sender, rcpt, helo, shape)
        if key == 'helo':
            code, dsn, txt = ch((('504', '5.5.2', 'need fully-qualified hostname'), ('504', '5.5.2', 'need fully-qualified hostname'),
                                 ('450', '4.7.1', 'Host not found'), ('554', '5.7.1', 'Access denied'),
                                 ('501', '5.5.2', 'Invalid name')))
            if txt == 'need fully-qualified hostname' and '.' in helo:
                helo = ch(JUNK_HELO)
            return (code, dsn, '<%s>: Helo command rejected: %s' % (helo, txt), sender, rcpt, helo, shape)
        if key == 'helo_empty':
            return ('450', '4.7.1', ': Helo command rejected: Host not found', '', rcpt, '', 'smtpd reject empty object')
        if key in ('relay', 'relay_old'):
            rcpt = self.W.ext_addr() if self.rnd() < 0.7 else '%s@%s' % (self.W.person(), self.W.spam_domain())
            if key == 'relay_old':
                return ('554', '', '<%s>: Relay access denied' % rcpt, sender, rcpt, helo,
                        'smtpd reject old-style (no enhanced status)')
            code, dsn = ch((('554', '5.7.1'), ('554', '5.7.1'), ('454', '4.7.1')))
            return (code, dsn, '<%s>: Relay access denied' % rcpt, sender, rcpt, helo, shape)
        if key == 'sender_domain':
            if not sender:
                sender = '%s@%s' % (self.W.person(), self.ch(('mail-srv.invalid', 'nonexistent.test', 'no-such-domain.invalid')))
            code, dsn = ch((('450', '4.1.8'), ('450', '4.1.8'), ('550', '5.1.8')))
            return (code, dsn, '<%s>: Sender address rejected: Domain not found' % sender, sender, rcpt, helo, shape)
        if key == 'nullmx':
            sender = '%s@%s' % (self.ch(('noreply', 'alerts', 'no-reply')), self.ch(('nullmx.test', 'noreply-only.example')))
            return ('556', '5.7.27', '<%s>: Sender address rejected: Domain %s does not accept mail (nullMX)'
                    % (sender, sender.split('@')[1]), sender, rcpt, helo, shape)
        if key == 'sender_fqdn':
            sender = '%s@%s' % (self.ch(('root', 'admin', 'www-data', 'user')), self.ch(('localhost', 'mailserver', 'srv01', 'DESKTOP-7K2LQ0M')))
            return ('504', '5.5.2', '<%s>: Sender address rejected: need fully-qualified address' % sender,
                    sender, rcpt, helo, shape)
        if key == 'spf':
            if not sender:
                sender = self.W.ext_addr()
            x = sel
            if x < 0.6:
                return ('550', '5.7.23', '<%s>: Recipient address rejected: Message rejected due to: SPF fail - not authorized. Please see http://www.open-spf.org/Why;id=%s;ip=%s;r=<UNKNOWN>' % (rcpt, sender, ip),
                        sender, rcpt, helo, shape)
            if x < 0.85:
                return ('550', '5.7.1', '<%s>: Recipient address rejected: Message rejected due to: SPF fail - not authorized. Please see http://www.openspf.net/Why?s=mfrom;id=%s;ip=%s;r=<UNKNOWN>' % (rcpt, sender, ip),
                        sender, rcpt, helo, shape)
            return ('450', '4.7.1', '<%s>: Recipient address rejected: SPF-Result=%s: DNS Timeout' % (rcpt, sender.split('@')[-1]),
                    sender, rcpt, helo, shape)
        if key == 'greylist1':
            return ('450', '4.2.0', '<%s>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/%s.html' % (rcpt, rcpt.split('@')[1]),
                    sender, rcpt, helo, shape)
        if key == 'quota':
            code, dsn = ch((('552', '5.2.2'), ('552', '5.2.2'), ('452', '4.2.2')))
            rcpt = self.W.our_user()
            return (code, dsn, '<%s>: Recipient address rejected: Mailbox is full' % rcpt, sender, rcpt, helo, shape)
        if key == 'access':
            x = sel
            if x < 0.35 and sender:
                return ('550', '5.7.1', '<%s>: Sender address rejected: Access denied' % sender, sender, rcpt, helo, shape)
            if x < 0.55:
                rcpt = '%s@%s' % (self.ch(('former.employee', 'j.doe', 'old-sales', 'intern2019')), self.H.domains[0])
                return ('554', '5.7.1', '<%s>: Recipient address rejected: This address no longer accepts mail' % rcpt,
                        sender, rcpt, helo, shape)
            if x < 0.8:
                return ('554', '5.7.1', '<%s[%s]>: Client host rejected: Access denied' % (c[0], ip), sender, rcpt, helo, shape)
            if not sender:
                sender = 'ceo@' + self.H.domains[0]
            return ('550', '5.7.1', '<%s>: Sender address rejected: Spoofed sender, contact postmaster@%s' % (sender, self.H.domains[0]),
                    sender, rcpt, helo, shape)
        if key == 'pipelining':
            return ('503', '5.5.0', '<%s>: Recipient address rejected: Improper use of SMTP command pipelining' % rcpt,
                    sender, rcpt, helo, shape)
        if key == 'ratelimit':
            return ('450', '4.7.1', '<%s>: Recipient address rejected: Rate limit exceeded, try again later' % rcpt,
                    sender, rcpt, helo, shape)
        if key == 'rcpt_domain':
            rcpt = '%s@%s' % (self.W.person(), self.ch(('gmial.com', 'hotmial.com', 'yaho.com', 'outlok.com', 'gmail.con')))
            return ('450', '4.1.2', '<%s>: Recipient address rejected: Domain not found' % rcpt, sender, rcpt, helo, shape)
        raise ValueError(key)

    def st_in_rej(self, t, v=None):
        """Unwanted inbound: every RCPT refused by smtpd (NOQUEUE)."""
        rnd = self.rnd
        H = self.H
        W = self.W
        inst = self.main
        c = W.spam_client()
        if v == 'ipv6':
            ip = W.ip6()
            c = ('unknown', ip, self.ch(JUNK_HELO))
        key = v if v in ('unknown_user', 'rbl', 'rdns', 'helo', 'helo_empty', 'relay', 'relay_old', 'sender_domain',
                         'nullmx', 'sender_fqdn', 'spf', 'quota', 'access', 'pipelining', 'ratelimit', 'rcpt_domain',
                         'dbl', 'openresolver', 'greylist1', 'dbl_helo') else self.wk(self.IN_REASONS)
        if key == 'rdns':
            c = ('unknown', c[1], c[2])
        sender = W.spam_addr()
        helo = c[2]
        if H.postscreen:
            t = self.ps_pass(t, inst, c)
        pool = inst.pools['smtpd']
        pid = pool.get(t)
        prog = inst.p['smtpd']
        tls = rnd() < 0.35
        t = self.connect(t, prog, pid, c, tls)
        if key == 'spf' and H.other_progs:
            pass
        n = 1 if rnd() < 0.6 else 2 + int(rnd() * 2) if rnd() < 0.75 else 4 + int(rnd() * 7)
        if key in ('quota', 'nullmx', 'sender_fqdn', 'helo_empty', 'openresolver', 'ratelimit'):
            n = 1
        t += 0.3 + rnd()
        if v == 'truncated':
            if rnd() < 0.5:
                self.reject(t, prog, pid, None, 'RCPT', c, '554', '5.7.1', 'Service unavailable', bare=True,
                            shape='smtpd reject truncated (no ; from=)')
            else:
                r = W.nonexist_local()
                cut = 'User unknown in local recipient table'[:20 + int(rnd() * 15)]
                self.reject(t, prog, pid, None, 'RCPT', c, '550', '5.1.1', '<%s>: Recipient address rejected: %s' % (r, cut),
                            bare=True, shape='smtpd reject truncated (no ; from=)')
            self.L(t + 0.5, prog, pid, 'lost connection after RCPT from %s[%s]' % (c[0], c[1]), None, 'smtpd lost connection')
            self.disconnect(t + 0.501, prog, pid, c, (('ehlo', 1, 1), ('mail', 1, 1), ('rcpt', 0, 1)))
            pool.put(pid, t + 0.6)
            return
        rcpt = None
        sel = rnd()
        for i in range(n):
            if key == 'unknown_user':
                rcpt = W.nonexist_local()
            elif rcpt is None or rnd() < 0.7:
                rcpt = W.our_user()
            code, dsn, text, s2, r2, h2, shape = self.in_reason(key, c, helo, sender, rcpt, sel)
            if s2 != sender and i == 0:
                sender = s2
            if key == 'spf' and H.other_progs and i == 0:
                self.T(t - 0.01, 'policyd-spf[%s]' % self.newpid(), '%s %s Message rejected due to: SPF fail - not authorized. Please see http://www.open-spf.org/Why;id=%s;ip=%s;r=<UNKNOWN>'
                       % (code, dsn, s2, c[1]), 'policyd-spf verdict (not Postfix)')
            if key == 'greylist1' and H.other_progs:
                self.T(t - 0.005, 'postgrey[%d]' % H.postgrey_pid, 'action=greylist, reason=new, client_name=%s, client_address=%s, sender=%s, recipient=%s'
                       % (c[0], c[1], s2, r2), 'postgrey action=greylist')
            if ':' in c[1] and shape == 'smtpd reject RCPT (NOQUEUE)':
                shape = 'smtpd reject RCPT (NOQUEUE, IPv6 client)'
            self.reject(t, prog, pid, None, 'RCPT', c, code, dsn, text, s2, r2, 'ESMTP' if rnd() < 0.85 else 'SMTP', h2, shape=shape)
            t += 0.05 + rnd() * 0.8
        parts = [('ehlo', 2, 2), ('starttls', 1, 1)] if tls else [('ehlo', 1, 1)]
        parts += [('mail', 1, 1), ('rcpt', 0, n)]
        if rnd() < 0.35:
            self.reject(t, prog, pid, None, 'DATA', c, '554', '5.5.1', 'Error: no valid recipients', s2, r2,
                        'ESMTP', h2, shape='smtpd reject DATA')
            parts.append(('data', 0, 1))
        if rnd() < 0.8:
            parts.append(('quit', 1, 1))
        else:
            parts.append(('rset', 1, 1))
            parts.append(('quit', 1, 1))
        t += 0.1 + rnd() * 0.5
        self.disconnect(t, prog, pid, c, parts)
        pool.put(pid, t)

    def st_in_partial(self, t, v=None):
        """Some recipients accepted, one refused after the queue file exists (QID: reject: RCPT)."""
        rnd = self.rnd
        W = self.W
        sender, c = self.legit_sender()
        rcpts = self.our_rcpts(1 + int(rnd() * 2))
        bad = W.nonexist_local()
        pos = len(rcpts)
        rcpts.append((bad, ''))
        if rnd() < 0.4:
            rcpts.extend(self.our_rcpts(1))
        x = rnd()
        if x < 0.7:
            rej = ('550', '5.1.1', '<%s>: Recipient address rejected: User unknown in %s' % (bad, self.H.unknown_table))
        elif x < 0.85:
            rcpts[pos] = (W.our_user(), '')
            rej = ('552', '5.2.2', '<%s>: Recipient address rejected: Mailbox is full' % rcpts[pos][0])
        else:
            rcpts[pos] = (W.ext_addr(), '')
            rej = ('554', '5.7.1', '<%s>: Relay access denied' % rcpts[pos][0])
        self.in_accept(t, self.main, c, c[2], sender, rcpts, tls=rnd() < 0.8,
                       rej={pos: rej + ('smtpd reject RCPT (queued, after an accepted RCPT)',)})

    def st_reject_warning(self, t, v=None):
        """warn_if_reject: the would-be reject is logged, the mail is accepted."""
        rnd = self.rnd
        W = self.W
        sender, c = self.legit_sender()
        x = rnd()
        if x < 0.5:
            c = ('unknown', c[1] if ':' not in c[1] else W.ip4(), c[2])
            warn = ('450', '4.7.25', 'Client host rejected: cannot find your hostname, [%s]' % c[1])
        elif x < 0.8:
            warn = ('554', '5.7.1', 'Service unavailable; Client host [%s] blocked using dnsbl.sorbs.net; Currently Sending Spam See: http://www.sorbs.net/lookup.shtml?%s' % (c[1], c[1]))
        else:
            warn = ('450', '4.7.1', '<%s>: Helo command rejected: Host not found' % c[2])
        self.in_accept(t, self.main, c, c[2], sender, self.our_rcpts(1), warn=warn)

    def st_in_early(self, t, v=None):
        """Rejects before RCPT: CONNECT, EHLO/HELO, MAIL, VRFY."""
        rnd = self.rnd
        W = self.W
        H = self.H
        early = H.insts.get('postfix-in', self.main)     # the instance with smtpd_delay_reject=no
        kinds = ('connect', 'ehlo', 'helo', 'mail_size', 'mail_storage', 'mail_sender', 'vrfy', 'vrfy_relay', 'connect_warn')
        if v not in kinds and v not in ('mail_storage_old', 'vrfy_trunc'):
            v = self.ch(kinds)
        c = W.spam_client() if v != 'mail_size' else self.legit_sender()[1]
        unknown = v == 'connect_warn' or (v == 'connect' and rnd() < 0.5)
        if unknown:
            c = ('unknown', c[1], c[2])
        if v in ('vrfy', 'vrfy_relay', 'vrfy_trunc') and (rnd() < 0.5 or v == 'vrfy_trunc'):
            c = ('unknown', W.ip6(), c[2])
        inst = early if v in ('connect', 'ehlo', 'helo', 'mail_sender') else self.main
        if inst is self.main and H.postscreen and v not in ('vrfy', 'vrfy_relay', 'vrfy_trunc'):
            t = self.ps_pass(t, inst, c)
        pool = inst.pools['smtpd']
        pid = pool.get(t)
        prog = inst.p['smtpd']
        t = self.connect(t, prog, pid, c, False)
        t += 0.01 + rnd() * 0.3
        sender = W.spam_addr()
        if v in ('connect', 'connect_warn'):
            if unknown:
                code, dsn, text = self.ch((('450', '4.7.25', 'Client host rejected: cannot find your hostname, [%s]' % c[1]),
                                           ('550', '5.7.25', 'Client host rejected: cannot find your reverse hostname, [%s]' % c[1])))
            elif rnd() < 0.6:
                code, dsn, text = ('554', '5.7.1', 'Service unavailable; Client host [%s] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/%s' % (c[1], c[1]))
            else:
                code, dsn, text = ('554', '5.7.1', '<%s[%s]>: Client host rejected: Access denied' % (c[0], c[1]))
            if v == 'connect_warn':
                self.reject(t, prog, pid, None, 'CONNECT', c, code, dsn, text, proto='SMTP', action='reject_warning',
                            shape='smtpd reject_warning')
                r = W.our_user()
                self.in_accept(t + 0.2, inst, c, c[2], W.ext_addr(), [(r, '')], prog=prog, pid=pid, tls=False)
                self.disconnect(t + 2, prog, pid, c, (('ehlo', 1, 1), ('mail', 1, 1), ('rcpt', 1, 1), ('data', 1, 1),
                                                      ('quit', 1, 1)))
                pool.put(pid, t + 2)
                return
            self.reject(t, prog, pid, None, 'CONNECT', c, code, dsn, text, proto='SMTP', shape='smtpd reject CONNECT')
            t += 0.2 + rnd()
            if rnd() < 0.5:
                self.L(t, prog, pid, 'lost connection after CONNECT from %s[%s]' % (c[0], c[1]), None, 'smtpd lost connection')
                self.disconnect(t, prog, pid, c, ())
            else:
                self.disconnect(t, prog, pid, c, (('ehlo', 1, 1), ('mail', 0, 1), ('quit', 1, 1)))
        elif v in ('ehlo', 'helo'):
            cmd = 'EHLO' if v == 'ehlo' else 'HELO'
            helo = self.ch(('User', 'WIN-5N8GBBS0R5I', 'localhost', 'ylmf-pc', 'ADMIN', 'mail', 'DESKTOP-7K2LQ0M'))
            if rnd() < 0.7:
                code, dsn, txt = '504', '5.5.2', 'need fully-qualified hostname'
            elif rnd() < 0.5:
                helo = W.ip4() if ':' not in c[1] else c[1]
                code, dsn, txt = '501', '5.5.2', 'Invalid name'
                helo = helo + '.'
            else:
                helo = H.fqdn
                code, dsn, txt = '554', '5.7.1', 'You are not me'
            self.reject(t, prog, pid, None, cmd, c, code, dsn, '<%s>: Helo command rejected: %s' % (helo, txt),
                        proto='SMTP', helo=helo, shape='smtpd reject EHLO/HELO')
            t += 0.2 + rnd()
            self.disconnect(t, prog, pid, c, ((v, 0, 1), ('quit', 1, 1)))
        elif v in ('mail_size', 'mail_storage', 'mail_storage_old', 'mail_sender'):
            helo = c[2]
            if v == 'mail_size':
                code, dsn, text = '552', '5.3.4', 'Message size exceeds fixed limit'
                self.reject(t, prog, pid, None, 'MAIL', c, code, dsn, text, proto='ESMTP', helo=helo, shape='smtpd reject MAIL')
            elif v in ('mail_storage', 'mail_storage_old'):
                if v == 'mail_storage':
                    self.reject(t, prog, pid, None, 'MAIL', c, '452', '4.3.1', 'Insufficient system storage', proto='ESMTP',
                                helo=helo, shape='smtpd reject MAIL')
                else:
                    self.reject(t, prog, pid, None, 'MAIL', c, '452', '', 'Insufficient system storage', proto='ESMTP',
                                helo=helo, shape='smtpd reject old-style (no enhanced status)')
                self.L(t - 0.001, prog, pid, 'warning: not enough free space in mail queue: 120832 bytes < 1.5*message size limit',
                       None, 'smtpd warning')
            else:
                if not sender:
                    sender = W.person() + '@' + W.spam_domain()
                code, dsn, txt = self.ch((('553', '5.7.1', 'Access denied'), ('550', '5.7.1', 'Access denied'),
                                          ('450', '4.1.8', 'Domain not found')))
                self.reject(t, prog, pid, None, 'MAIL', c, code, dsn, '<%s>: Sender address rejected: %s' % (sender, txt),
                            sender=sender, proto='ESMTP', helo=helo, shape='smtpd reject MAIL')
            t += 0.3 + rnd()
            self.disconnect(t, prog, pid, c, (('ehlo', 1, 1), ('mail', 0, 1), ('rset', 1, 1), ('quit', 1, 1)))
        else:     # VRFY harvesting
            helo = self.ch(('me', 'test', 'scanner', c[2]))
            n = 1 if v == 'vrfy_trunc' else 2 + int(rnd() * 4)
            for i in range(n):
                if v == 'vrfy_relay':
                    r = W.ext_addr()
                    code, dsn, text = '454', '4.7.1', '<%s>: Relay access denied' % r
                else:
                    r = W.nonexist_local() if rnd() < 0.8 else 'postmaster@' + H.domains[0]
                    if r.startswith('postmaster@'):
                        r = W.nonexist_local()
                    code, dsn, text = '550', '5.1.1', '<%s>: Recipient address rejected: User unknown in %s' % (r, H.unknown_table)
                if v == 'vrfy_trunc':
                    self.reject(t, prog, pid, None, 'VRFY', c, code, dsn, text[:len(text) - 4 - int(rnd() * 8)], bare=True,
                                shape='smtpd reject truncated (no ; from=)')
                else:
                    self.reject(t, prog, pid, None, 'VRFY', c, code, dsn, text, rcpt=r, proto='SMTP', helo=helo,
                                shape='smtpd reject VRFY')
                t += 0.1 + rnd() * 0.5
            self.disconnect(t, prog, pid, c, (('helo', 1, 1), ('vrfy', 0, n), ('quit', 1, 1)))
        pool.put(pid, t + 0.01)

    def st_in_data(self, t, v=None):
        """Rejects at DATA/BDAT and milter rejects in smtpd."""
        rnd = self.rnd
        W = self.W
        inst = self.main
        kinds = ('pipelining', 'mrb_data', 'mrb_bdat', 'bdat_nvr', 'milter_rcpt', 'milter_data', 'milter_eom_smtpd')
        if v not in kinds:
            v = self.ch(kinds)
        if v in ('mrb_data', 'mrb_bdat', 'pipelining', 'bdat_nvr'):
            c = W.spam_client()
            sender = '' if v.startswith('mrb') else W.spam_addr()
        else:
            sender, c = self.legit_sender()
            if v == 'milter_rcpt':
                c = W.biz_client(W.biz_domain())
        if self.H.postscreen:
            t = self.ps_pass(t, inst, c)
        pool = inst.pools['smtpd']
        pid = pool.get(t)
        prog = inst.p['smtpd']
        tls = rnd() < 0.6
        t = self.connect(t, prog, pid, c, tls)
        helo = c[2]
        t += 0.2 + rnd() * 0.3
        parts = [('ehlo', 2, 2), ('starttls', 1, 1)] if tls else [('ehlo', 1, 1)]
        if v == 'milter_rcpt':
            r = W.our_user()
            txt = self.ch((('451', '4.7.1', 'Greylisting in action, please come back later'),
                           ('451', '4.7.1', 'Service unavailable - try again later'),
                           ('550', '5.7.1', 'Command rejected')))
            self.reject(t, prog, pid, None, 'RCPT', c, txt[0], txt[1], txt[2], sender, r, 'ESMTP', helo,
                        action='milter-reject', shape='smtpd milter-reject RCPT')
            parts += [('mail', 1, 1), ('rcpt', 0, 1), ('quit', 1, 1)]
            t += 0.3
            self.disconnect(t, prog, pid, c, parts)
            pool.put(pid, t)
            if txt[0] == '451' and rnd() < 0.7 and t + 1200 < self.end:
                # the retry a few minutes later passes
                self.sim.at(t + 300 + rnd() * 900, self._retry_accept, (c, sender, [(r, '')], None))
            return
        rcpts = self.our_rcpts(2 + int(rnd() * 2)) if v.startswith('mrb') else self.our_rcpts(1)
        if v == 'bdat_nvr':
            rs = [W.nonexist_local() for _ in range(1 + int(rnd() * 2))]
            for r in rs:
                self.reject(t, prog, pid, None, 'RCPT', c, '550', '5.1.1', '<%s>: Recipient address rejected: User unknown in %s'
                            % (r, self.H.unknown_table), sender, r, 'ESMTP', helo, shape='smtpd reject RCPT (NOQUEUE)')
                t += 0.01
            self.reject(t, prog, pid, None, 'BDAT', c, '554', '5.5.1', 'Error: no valid recipients', sender, rs[-1], 'ESMTP',
                        helo, shape='smtpd reject BDAT')
            parts += [('mail', 1, 1), ('rcpt', 0, len(rs)), ('bdat', 0, 1), ('quit', 1, 1)]
            t += 0.2
            self.disconnect(t, prog, pid, c, parts)
            pool.put(pid, t)
            return
        qid = self.qid(t, inst)
        self.L(t, prog, pid, '%s: client=%s[%s]' % (qid, c[0], c[1]), None, 'smtpd client=')
        t += 0.05 * len(rcpts) + rnd() * 0.3
        last = rcpts[-1][0]
        proto = 'ESMTP'
        if v == 'pipelining':
            proto = 'SMTP'
            self.reject(t, prog, pid, qid, 'DATA', c, '503', '5.5.0', '<DATA>: Data command rejected: Improper use of SMTP command pipelining',
                        sender, last, proto, helo, shape='smtpd reject DATA')
            parts = [('helo', 1, 1), ('mail', 1, 1), ('rcpt', 1, 1), ('data', 0, 1)]
        elif v in ('mrb_data', 'mrb_bdat'):
            where = 'DATA' if v == 'mrb_data' else 'BDAT'
            self.reject(t, prog, pid, qid, where, c, '550', '5.5.3', '<DATA>: Data command rejected: Multi-recipient bounce',
                        '', last, proto, helo, shape='smtpd reject %s' % where)
            parts += [('mail', 1, 1), ('rcpt', len(rcpts), len(rcpts)), (where.lower(), 0, 1), ('quit', 1, 1)]
        elif v == 'milter_data':
            txt = self.ch((('550', '5.7.1', 'Command rejected'), ('451', '4.7.1', 'Try again later'),
                           ('554', '5.7.1', 'Rejected by policy: sender reputation too low')))
            self.reject(t, prog, pid, qid, 'DATA', c, txt[0], txt[1], txt[2], sender, last, proto, helo,
                        action='milter-reject', shape='smtpd milter-reject DATA')
            parts += [('mail', 1, 1), ('rcpt', 1, 1), ('data', 0, 1), ('quit', 1, 1)]
        else:   # milter_eom_smtpd
            mid = self.msgid(t, sender)
            self.cleanup_line(t, inst, qid, 'message-id=<%s>' % mid)
            t += 0.3 + rnd()
            txt = self.ch(('Spam message rejected', 'Blocked by SpamAssassin', 'Rejected: high spam score (15.3 > 10.0)'))
            self.reject(t, prog, pid, qid, 'END-OF-MESSAGE', c, '', '5.7.1', txt, sender, last, proto, helo,
                        action='milter-reject', shape='smtpd milter-reject END-OF-MESSAGE (no reply code)')
            parts += [('mail', 1, 1), ('rcpt', 1, 1), ('data', 0, 1), ('quit', 1, 1)]
        t += 0.2 + rnd() * 0.5
        self.disconnect(t, prog, pid, c, parts)
        pool.put(pid, t)

    def _retry_accept(self, t, arg):
        c, sender, rcpts, gl = arg
        self.in_accept(t, self.main, c, c[2], sender, rcpts, greylist_pass=gl)

    CONTENT = cumtab([('reject_header', 5), ('reject_body', 3), ('hold', 2), ('discard', 2), ('warning', 3),
                      ('milter_eom', 7)])

    def st_content(self, t, v=None):
        """cleanup(8) header/body checks and milters at end of message."""
        rnd = self.rnd
        W = self.W
        H = self.H
        if v is None:
            v = self.wk(self.CONTENT)
        spammy = v != 'warning' and rnd() < 0.8
        if spammy:
            c = W.spam_client()
            sender = W.spam_addr()
        else:
            sender, c = self.legit_sender()
        rcpt = W.our_user()
        info = {}

        def act(t, qid):
            t += 0.05 + rnd() * 0.3
            where = 'from %s[%s]; from=<%s> to=<%s> proto=ESMTP helo=<%s>' % (c[0], c[1], sender, rcpt, c[2])
            if v == 'reject_header':
                hdr, txt = self.ch((
                    ('Subject: Your account will be suspended - verify now', 'Message content rejected'),
                    ('Subject: =?UTF-8?B?V2lubmVyIQ==?= Claim your prize today', 'Message content rejected'),
                    ('Content-Disposition: attachment; filename="Invoice_2025_1217.pdf.exe"', 'Executable attachments are not accepted'),
                    ('Content-Type: application/x-msdownload; name="scan0042.scr"', 'Executable attachments are not accepted'),
                    ('From: "PayPal Service" <service@secure-paypa1.test>', 'Spoofed sender rejected'),
                    ('X-Mailer: The Bat! (v3.51.10) Professional', 'Message content rejected')))
                self.cleanup_line(t, inst, qid, 'reject: header %s %s: 5.7.1 %s' % (hdr, where, txt),
                                  ('reject', 'inbound', 'header', qid, c[1], sender, rcpt, '', '5.7.1'), 'cleanup reject: header')
                info['rej'] = 1
            elif v == 'reject_body':
                body = self.ch(('Click here to claim your bonus: https://lucky-win.invalid/claim?id=88121',
                                'Dear Beneficiary, your compensation fund of $2,500,000.00 is ready',
                                'https://bit.ly/3xYzAbC verify your mailbox quota now',
                                'Please wire the outstanding amount to the new bank account below'))
                self.cleanup_line(t, inst, qid, 'reject: body %s %s: 5.7.1 Message content rejected' % (body, where),
                                  ('reject', 'inbound', 'body', qid, c[1], sender, rcpt, '', '5.7.1'), 'cleanup reject: body')
                info['rej'] = 1
            elif v == 'milter_eom':
                txt = self.ch((('5.7.1', 'Blocked by SpamAssassin'), ('5.7.1', 'Spam message rejected'),
                               ('5.7.1', 'rejected by DMARC policy for %s' % (sender.rsplit('@', 1)[-1] or 'example.invalid')),
                               ('5.7.1', 'Virus found: Win.Test.EICAR_HDB-1'), ('4.7.1', 'Try again later'),
                               ('5.7.0', 'DKIM signature verification failed'), ('5.7.1', 'Command rejected')))
                self.cleanup_line(t, inst, qid, 'milter-reject: END-OF-MESSAGE %s: %s %s; from=<%s> to=<%s> proto=ESMTP helo=<%s>'
                                  % ('from %s[%s]' % (c[0], c[1]), txt[0], txt[1], sender, rcpt, c[2]),
                                  ('reject', 'inbound', 'eom', qid, c[1], sender, rcpt, '', txt[0]),
                                  'cleanup milter-reject END-OF-MESSAGE (no reply code)')
                info['rej'] = 1
            elif v == 'hold':
                hdr = self.ch(('Subject: URGENT: wire transfer request', 'Subject: Payment confirmation #44821',
                               'X-Spam-Flag: YES', 'Subject: Re: updated bank details for invoice 2025-1182'))
                tail = self.ch(('', ': held for manual review', ': Suspicious payment request'))
                self.cleanup_line(t, inst, qid, 'hold: header %s %s%s' % (hdr, where, tail),
                                  ('hold', 'inbound', 'header', qid, c[1], sender, rcpt, '', ''), 'cleanup hold: header')
                info['hold'] = 1
                info['qid'] = qid
            elif v == 'discard':
                hdr = self.ch(('Subject: ***SPAM*** Cheap meds online', 'X-Spam-Level: ***************',
                               'Subject: Your weekly digest from promo-deals.test', 'List-Id: <offers.promo-deals.test>'))
                self.cleanup_line(t, inst, qid, 'discard: header %s %s%s' % (hdr, where, self.ch(('', ': silently discarded'))),
                                  ('discard', 'inbound', 'header', qid, c[1], sender, rcpt, '', ''), 'cleanup discard: header')
                info['rej'] = 2
            else:
                hdr = self.ch(('Subject: https://drive.google.com/file/d/1AbCdEfGh/view?usp=sharing',
                               'Subject: Invoice 2025-1187 overdue', 'X-Mailer: PHPMailer 5.2.9'))
                self.cleanup_line(t, inst, qid, 'warning: header %s %s' % (hdr, where), None, 'cleanup warning: header')
                return t
            return None
        inst = self.main
        if H.postscreen:
            t = self.ps_pass(t, inst, c)
        pool = inst.pools['smtpd']
        pid = pool.get(t)
        prog = inst.p['smtpd']
        t = self.connect(t, prog, pid, c, rnd() < 0.6)
        self.in_accept(t, inst, c, c[2], sender, [(rcpt, '')], prog=prog, pid=pid, extra=act)
        t += 1.5 + rnd() * 2
        parts = [('ehlo', 1, 1), ('mail', 1, 1), ('rcpt', 1, 1), ('data', 0 if info.get('rej') == 1 else 1, 1),
                 ('quit', 1, 1)]
        self.disconnect(t, prog, pid, c, parts)
        pool.put(pid, t + 0.1)
        if info.get('hold') and t + 3600 < self.end:
            # the queue file sits in the hold queue until the postmaster looks at it
            self.sim.at(t + 1800 + rnd() * 20000, self._held_release, (inst, info['qid'], sender, rcpt, t))

    def _held_release(self, t, arg):
        inst, qid, sender, rcpt, t0 = arg
        rnd = self.rnd
        pool = inst.pools['postsuper']
        pid = pool.get(t)
        if rnd() < 0.4:
            self.L(t, inst.p['postsuper'], pid, '%s: removed' % qid, None, 'postsuper removed')
            self.L(t + 0.001, inst.p['postsuper'], pid, 'Deleted: 1 message', None, 'postsuper summary')
            pool.put(pid, t + 0.01)
            return
        self.L(t, inst.p['postsuper'], pid, '%s: released from hold' % qid, None, 'postsuper released from hold')
        self.L(t + 0.001, inst.p['postsuper'], pid, 'Released from hold: 1 message', None, 'postsuper summary')
        pool.put(pid, t + 0.01)
        m = Msg(inst, qid, sender, 3000 + int(rnd() * 30000), [Rc(rcpt, self.route_for(rcpt), [('S', None)])], t0, None)
        m.msgid = self.msgid(t0, sender)
        t += 0.5 + rnd() * 5
        self.qmgr(t, inst, m)
        self.sim.at(t + 0.01, self.attempt, m)

    # ---- second instance (postfix-in): before-queue content filter (smtpd_proxy_filter)
    def st_in_net(self, t, v=None):
        rnd = self.rnd
        H = self.H
        W = self.W
        inst = H.insts.get('postfix-in')
        if inst is None:
            return self.st_in_ok(t)
        sender, c = self.legit_sender()
        spam = v == 'reject' or (v is None and rnd() < 0.1)
        if v == 'local':
            v = 'plain'
        if spam:
            c = W.spam_client()
            sender = W.spam_addr()
        dom = H.in_domain
        fwd = v == 'forward' or (v is None and not spam and rnd() < 0.25)
        if fwd:
            lp = W.person()
            rcpt = '%s@%s' % (lp, dom)
        else:
            rcpt = W.our_user()
            if not rcpt.endswith('@' + dom):
                rcpt = rcpt.split('@')[0] + '@' + dom
        pool = inst.pools['smtpd']
        pid = pool.get(t)
        prog = inst.p['smtpd']
        tls = rnd() < 0.7
        t = self.connect(t, prog, pid, c, tls)
        t += 0.3 + rnd() * 0.5
        helo = c[2]
        parts = [('ehlo', 2, 2), ('starttls', 1, 1)] if tls else [('ehlo', 1, 1)]
        parts += [('mail', 1, 1), ('rcpt', 1, 1)]
        t += 0.5 + rnd() * 3
        if spam:
            x = rnd()
            aid = '%05d-%02d' % (int(rnd() * 99999), 1 + int(rnd() * 12))
            if x < 0.5:
                code, dsn, txt = '554', '5.7.0', 'Reject, id=%s - spam' % aid
            elif x < 0.7:
                code, dsn, txt = '554', '5.7.0', 'Reject, id=%s - INFECTED: Win.Trojan.Agent-1193721' % aid
            elif x < 0.9:
                code, dsn, txt = '550', '5.7.1', 'Rejected: message looks like spam (score %.1f)' % (10 + rnd() * 20)
            else:
                code, dsn, txt = '451', '4.3.0', 'Error: queue file write error'
            self.L(t, prog, pid, 'proxy-reject: END-OF-MESSAGE: %s %s %s; from=<%s> to=<%s> proto=ESMTP helo=<%s>'
                   % (code, dsn, txt, sender, rcpt, helo), ('reject', 'inbound', 'eom', '', '', sender, rcpt, code, dsn),
                   'smtpd proxy-reject END-OF-MESSAGE (no client in line)')
            parts += [('data', 0, 1), ('quit', 1, 1)]
        else:
            p2 = inst.pools['smtpd10025']
            pid2 = p2.get(t - 0.3)
            lc = ('localhost', '127.0.0.1')
            t2 = t - 0.3
            self.L(t2, prog, pid2, 'connect from localhost[127.0.0.1]', None, 'smtpd connect')
            nq = self.qid(t2, inst)
            self.L(t2 + 0.01, prog, pid2, '%s: client=%s[%s]' % (nq, c[0], c[1]), None, 'smtpd client=')
            mid = self.msgid(t2, sender)
            self.cleanup_line(t2 + 0.02, inst, nq, 'message-id=<%s>' % mid)
            snd = sender
            if fwd:
                dst = '%s@%s' % (lp.replace('.', '') + self.ch(('', '.home', '1985', '.private')), self.ch(
                    ('gmail.com', 'gmail.com', 'outlook.com', 'yahoo.com', 'icloud.com', 'gmx.de')))
                if sender:
                    sl, sd = sender.rsplit('@', 1)
                    snd = 'SRS0=%s=%s=%s=%s@%s' % (self.rstr(4, B64[:62]), self.rstr(2, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'),
                                                   sd, sl, dom)
                route = self.route_for(dst)
                rc = Rc(dst, route, self.remote_plan(route[1], 0.8), rcpt)
            else:
                route = self.route_for(rcpt)
                rc = Rc(rcpt, route, [('B', 'quota')] if v == 'vquota' else self.local_plan(route, rcpt))
            m = Msg(inst, nq, snd, int(3000 + rnd() * rnd() * 80000), [rc], t2 + 0.03, mid)
            self.qmgr(t2 + 0.04, inst, m)
            self.disconnect(t2 + 0.05, prog, pid2, lc, (('ehlo', 1, 1), ('xforward', 1, 1), ('mail', 1, 1), ('rcpt', 1, 1),
                                                        ('data', 1, 1), ('quit', 1, 1)))
            p2.put(pid2, t2 + 0.06)
            self.L(t, prog, pid, 'proxy-accept: END-OF-MESSAGE: 250 2.0.0 from MTA(smtp:[127.0.0.1]:10025): 250 2.0.0 Ok: queued as %s; from=<%s> to=<%s> proto=ESMTP helo=<%s>'
                   % (nq, sender, rcpt, helo), None, 'smtpd proxy-accept (no event)')
            parts += [('data', 1, 1), ('quit', 1, 1)]
            self.sim.at(t + 0.01, self.attempt, m)
        t += 0.1 + rnd() * 0.3
        self.disconnect(t, prog, pid, c, parts)
        pool.put(pid, t)

    # ---- postscreen
    PS_DROP = cumtab([('pregreet', 6), ('hangup', 6), ('dnsbl', 8), ('time', 2), ('count', 1), ('length', 1),
                      ('nonsmtp', 2), ('bare', 1), ('toomany', 1)])

    def dnsblog(self, t, inst, ip, strong=True):
        rnd = self.rnd
        pool = inst.pools['dnsblog']
        rank = 0
        first = None
        lists = [('zen.spamhaus.org', 2), ('b.barracudacentral.org', 1), ('bl.spamcop.net', 1), ('psbl.surriel.com', 1),
                 ('bl.mailspike.net', 1)]
        for dom, w in lists:
            if (dom == 'zen.spamhaus.org' and strong and rnd() < 0.8) or rnd() < 0.35:
                if dom == 'zen.spamhaus.org':
                    ans = self.ch(('127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.4', '127.0.0.9', '127.0.0.10', '127.0.0.11'))
                else:
                    ans = '127.0.0.2'
                pid = pool.get(t)
                t += 0.01 + rnd() * 0.08
                self.L(t, inst.p['dnsblog'], pid, 'addr %s listed by domain %s as %s' % (ip, dom, ans), None,
                       'dnsblog addr listed')
                pool.put(pid, t + 0.01)
                rank += w
                if first is None:
                    first = dom
        if rank < 3:
            pid = pool.get(t)
            t += 0.02
            self.L(t, inst.p['dnsblog'], pid, 'addr %s listed by domain zen.spamhaus.org as 127.0.0.4' % ip, None,
                   'dnsblog addr listed')
            pool.put(pid, t + 0.01)
            rank += 2
            first = first or 'zen.spamhaus.org'
        return t, rank, first

    def st_ps_drop(self, t, v=None):
        """postscreen verdict, connection dropped: one connection-level reject event."""
        rnd = self.rnd
        inst = self.main
        if not self.H.postscreen:
            return self.st_noise_session(t)
        if v is None:
            v = self.wk(self.PS_DROP)
        p = inst.p['postscreen']
        pid = inst.fixed['postscreen']
        ip = self.W.ip6() if rnd() < 0.08 else self.W.ip4()
        port = self.port()
        ev = ('reject', 'inbound', 'connect', '', ip, '', '', '', '')
        self.L(t, p, pid, 'CONNECT from [%s]:%d to [%s]:25' % (ip, port, inst.ip), None, 'postscreen CONNECT')
        t += 0.01 + rnd() * 0.5
        if v == 'toomany':
            self.L(t, p, pid, 'NOQUEUE: reject: CONNECT from [%s]:%d: %s' % (ip, port, self.ch(('too many connections', 'all server ports busy'))),
                   ev, 'postscreen NOQUEUE: reject: CONNECT (no reply code) [event]')
            return
        if v == 'pregreet':
            greet = self.ch(('EHLO User\\r\\n', 'HELO ylmf-pc\\r\\n', 'EHLO [%s]\\r\\n' % ip, 'EHLO localhost\\r\\n',
                             '\\026\\003\\001\\002\\000\\001\\000\\001\\374\\003\\003'))
            self.L(t, p, pid, 'PREGREET %d after %.2f from [%s]:%d: %s' % (len(greet.replace('\\r\\n', '  ')), rnd() * 1.5, ip, port, greet),
                   ev, 'postscreen PREGREET [event]')
        elif v == 'hangup':
            self.L(t, p, pid, 'HANGUP after %.2g from [%s]:%d in tests %s SMTP handshake'
                   % (rnd() * 6 + 0.01, ip, port, self.ch(('before', 'after'))), ev, 'postscreen HANGUP [event]')
        elif v == 'dnsbl':
            t, rank, _ = self.dnsblog(t, inst, ip)
            t += 0.01
            self.L(t, p, pid, 'DNSBL rank %d for [%s]:%d' % (rank, ip, port), ev, 'postscreen DNSBL rank [event]')
        elif v == 'time':
            t += 10 + rnd() * 290
            self.L(t, p, pid, 'COMMAND TIME LIMIT from [%s]:%d after %s' % (ip, port, self.ch(('CONNECT', 'EHLO', 'MAIL', 'RCPT'))),
                   ev, 'postscreen COMMAND TIME LIMIT [event]')
        elif v == 'count':
            self.L(t, p, pid, 'COMMAND COUNT LIMIT from [%s]:%d after %s' % (ip, port, self.ch(('RCPT', 'NOOP', 'RSET'))),
                   ev, 'postscreen COMMAND COUNT LIMIT [event]')
        elif v == 'length':
            self.L(t, p, pid, 'COMMAND LENGTH LIMIT from [%s]:%d after %s' % (ip, port, self.ch(('RCPT', 'MAIL', 'EHLO'))),
                   ev, 'postscreen COMMAND LENGTH LIMIT [event]')
        elif v == 'nonsmtp':
            self.L(t, p, pid, 'NON-SMTP COMMAND from [%s]:%d after %s: %s' % (ip, port, self.ch(('CONNECT', 'EHLO')), self.ch(
                ('GET / HTTP/1.1', 'POST /cgi-bin/php HTTP/1.1', 'CONNECT 203.0.113.80:25 HTTP/1.0', 'USER anonymous'))),
                   ev, 'postscreen NON-SMTP COMMAND [event]')
        else:
            self.L(t, p, pid, 'BARE NEWLINE from [%s]:%d after %s' % (ip, port, self.ch(('RCPT', 'DATA', 'EHLO'))), ev,
                   'postscreen BARE NEWLINE [event]')
        t += 0.01 + rnd() * 0.2
        self.L(t, p, pid, 'DISCONNECT [%s]:%d' % (ip, port), None, 'postscreen DISCONNECT')

    def ps_reject(self, t, inst, ip, port, code, dsn, text, sender, rcpt, helo, proto='ESMTP'):
        self.L(t, inst.p['postscreen'], inst.fixed['postscreen'],
               'NOQUEUE: reject: RCPT from [%s]:%d: %s %s %s; from=<%s>, to=<%s>, proto=%s, helo=<%s>'
               % (ip, port, code, dsn, text, sender, rcpt, proto, helo),
               ('reject', 'inbound', 'rcpt', '', ip, sender, rcpt, code, dsn), 'postscreen NOQUEUE: reject: RCPT')

    def st_ps_enforce(self, t, v=None):
        """postscreen verdict(s) followed by reject lines of the same [ip]:port: only the rejects are events."""
        rnd = self.rnd
        inst = self.main
        W = self.W
        if not self.H.postscreen:
            return self.st_in_rej(t)
        if v is None:
            v = self.ch(('dnsbl', 'dnsbl', 'dnsbl', 'pregreet', 'pregreet_dnsbl', 'bl', 'passnew450', 'passnew450', 'bare',
                         'nonsmtp'))
        p = inst.p['postscreen']
        pid = inst.fixed['postscreen']
        if v == 'passnew450':
            sender, c = self.legit_sender()
            ip = c[1]
            helo = c[2]
        else:
            c = W.spam_client()
            ip, helo = c[1], c[2]
            sender = W.spam_addr()
        port = self.port()
        self.L(t, p, pid, 'CONNECT from [%s]:%d to [%s]:25' % (ip, port, inst.ip), None, 'postscreen CONNECT')
        t += 0.01 + rnd() * 0.3
        nv = '[no event: a reject of the same session follows]'
        if v in ('pregreet', 'pregreet_dnsbl'):
            self.L(t, p, pid, 'PREGREET %d after %.2f from [%s]:%d: EHLO %s\\r\\n' % (7 + len(helo), rnd(), ip, port, helo),
                   None, 'postscreen PREGREET %s' % nv)
            code, dsn, text = '550', '5.5.1', 'Protocol error'
        if v in ('dnsbl', 'pregreet_dnsbl'):
            t, rank, first = self.dnsblog(t, inst, ip)
            t += 0.01
            self.L(t, p, pid, 'DNSBL rank %d for [%s]:%d' % (rank, ip, port), None, 'postscreen DNSBL rank %s' % nv)
            code, dsn, text = '550', '5.7.1', 'Service unavailable; client [%s] blocked using %s' % (ip, first)
        if v == 'bl':
            self.L(t, p, pid, '%s [%s]:%d' % (self.H.bl_word, ip, port), None, 'postscreen %s (enforce)' % self.H.bl_word)
            code, dsn, text = '550', '5.3.2', 'Service currently unavailable'
        if v == 'bare':
            self.L(t + 3, p, pid, 'BARE NEWLINE from [%s]:%d after RCPT' % (ip, port), None, 'postscreen BARE NEWLINE %s' % nv)
            t += 3
            code, dsn, text = '550', '5.5.1', 'Protocol error'
        if v == 'nonsmtp':
            self.L(t + 1, p, pid, 'NON-SMTP COMMAND from [%s]:%d after EHLO: GET / HTTP/1.1' % (ip, port), None,
                   'postscreen NON-SMTP COMMAND %s' % nv)
            t += 1
            code, dsn, text = '550', '5.5.1', 'Protocol error'
        if v in ('hangup', 'time', 'count', 'length'):
            # Postfix itself drops the connection after these verdicts; the sequence exists to exercise the rule
            # "a verdict followed by a reject of the same session yields no event of its own"
            word = {'hangup': 'HANGUP after 0.9 from [%s]:%d in tests before SMTP handshake',
                    'time': 'COMMAND TIME LIMIT from [%s]:%d after CONNECT',
                    'count': 'COMMAND COUNT LIMIT from [%s]:%d after RSET',
                    'length': 'COMMAND LENGTH LIMIT from [%s]:%d after EHLO'}[v] % (ip, port)
            self.L(t + 1, p, pid, word, None, 'postscreen %s %s (synthetic order)' % (word.split(' from')[0].split(' after')[0], nv))
            t += 1
            code, dsn, text = '550', '5.5.1', 'Protocol error'
        if v == 'passnew450':
            t += 6 + rnd() * 0.1
            self.L(t, p, pid, 'PASS NEW [%s]:%d' % (ip, port), None, 'postscreen PASS NEW')
            code, dsn, text = '450', '4.3.2', 'Service currently unavailable'
        n = 1 if (rnd() < 0.7 or v == 'passnew450') else 2 + int(rnd() * 2)
        rc = None
        for i in range(n):
            t += 0.3 + rnd() * 2
            rc = W.our_user() if (v == 'passnew450' or rnd() < 0.6) else W.nonexist_local()
            self.ps_reject(t, inst, ip, port, code, dsn, text, sender, rc, helo, 'SMTP' if code == '550' and rnd() < 0.3 else 'ESMTP')
        t += 0.2 + rnd()
        self.L(t, p, pid, 'DISCONNECT [%s]:%d' % (ip, port), None, 'postscreen DISCONNECT')
        if v == 'passnew450' and t + 1500 < self.end:
            # the real MTA comes back; postscreen now knows it (PASS OLD)
            self.sim.at(t + 300 + rnd() * 1000, self._retry_accept, (c, sender, [(rc, '')], None))

    def st_greylist(self, t, v=None):
        """postgrey: first attempt 450, the real MTA retries minutes later and gets in."""
        rnd = self.rnd
        H = self.H
        inst = self.main
        sender, c = self.legit_sender()
        if c[0].endswith(('google.com', 'outlook.com', 'yahoo.com')):
            c = self.W.biz_client(self.W.biz_domain())
        rcpt = self.W.our_user()
        if H.postscreen:
            t = self.ps_pass(t, inst, c)
        pool = inst.pools['smtpd']
        pid = pool.get(t)
        prog = inst.p['smtpd']
        tls = rnd() < 0.7
        t = self.connect(t, prog, pid, c, tls)
        t += 0.3 + rnd() * 0.3
        if H.other_progs:
            self.T(t - 0.01, 'postgrey[%d]' % H.postgrey_pid, 'action=greylist, reason=new, client_name=%s, client_address=%s, sender=%s, recipient=%s'
                   % (c[0], c[1], sender, rcpt), 'postgrey action=greylist')
        code, dsn, text = self.ch((('450', '4.2.0', '<%s>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/%s.html' % (rcpt, rcpt.split('@')[1])),
                                   ('450', '4.2.0', '<%s>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/%s.html' % (rcpt, rcpt.split('@')[1])),
                                   ('451', '4.7.1', '<%s>: Recipient address rejected: Greylisted for 300 seconds' % rcpt)))
        self.reject(t, prog, pid, None, 'RCPT', c, code, dsn, text, sender, rcpt, 'ESMTP', c[2],
                    shape='smtpd reject RCPT (NOQUEUE)')
        t += 0.2 + rnd() * 0.3
        parts = [('ehlo', 2, 2), ('starttls', 1, 1)] if tls else [('ehlo', 1, 1)]
        self.disconnect(t, prog, pid, c, parts + [('mail', 1, 1), ('rcpt', 0, 1), ('rset', 1, 1), ('quit', 1, 1)])
        pool.put(pid, t)
        if rnd() < 0.85 and t + 2000 < self.end:
            d = 300 + rnd() * 1500
            self.sim.at(t + d, self._retry_accept, (c, sender, [(rcpt, '')], int(d)))

    # ---- recipient verification (reject_unverified_recipient for a relayed domain)
    def st_verify(self, t, v=None):
        rnd = self.rnd
        H = self.H
        W = self.W
        inst = self.main
        dom = H.verify_domain
        if not dom:
            return self.st_in_rej(t)
        if v is None:
            v = self.ch(('undeliverable', 'undeliverable', 'deliverable', 'deliverable', 'notcached', 'inprogress'))
        if v in ('undeliverable', 'notcached', 'inprogress'):
            c = W.spam_client() if rnd() < 0.6 else self.legit_sender()[1]
            sender = W.spam_addr()
        else:
            sender, c = self.legit_sender()
        rcpt = '%s@%s' % (W.person(), dom)
        if H.postscreen:
            t = self.ps_pass(t, inst, c)
        pool = inst.pools['smtpd']
        pid = pool.get(t)
        prog = inst.p['smtpd']
        tls = rnd() < 0.6
        t = self.connect(t, prog, pid, c, tls)
        t += 0.3 + rnd() * 0.3
        mx, mxip = H.relayhosts[dom]
        # the probe message
        pq = self.qid(t, inst)
        self.cleanup_line(t + 0.002, inst, pq, 'message-id=<%s.%s@%s>' % (self.stamp(t), pq, H.fqdn))
        pm = Msg(inst, pq, 'double-bounce@%s' % H.fqdn, 250 + int(rnd() * 60), [], t + 0.003, None)
        pm.ndr = False
        if v == 'notcached':
            pm.rcpts.append(Rc(rcpt, ('error', '5.1.1', 'User unknown in virtual alias table'), [('N', None)]))
        elif v == 'deliverable':
            pm.rcpts.append(Rc(rcpt, ('smtp', dom), [('V', None)]))
        else:
            pm.rcpts.append(Rc(rcpt, ('smtp', dom), [('U', 'exch_notfound')]))
        self.qmgr(t + 0.004, inst, pm)
        if v == 'inprogress':
            self.sim.at(t + 4 + rnd() * 8, self.attempt, pm)
            t += 3.0 + rnd() * 0.1
        else:
            self.attempt(t + 0.005, pm)
            t += 0.4 + rnd() * 0.5
        parts = [('ehlo', 2, 2), ('starttls', 1, 1)] if tls else [('ehlo', 1, 1)]
        if v == 'deliverable':
            self.in_accept(t, inst, c, c[2], sender, [(rcpt, '')], prog=prog, pid=pid)
            self.disconnect(t + 1.5, prog, pid, c, parts + [('mail', 1, 1), ('rcpt', 1, 1), ('data', 1, 1), ('quit', 1, 1)])
            pool.put(pid, t + 1.6)
            return
        if v == 'notcached':
            text = '<%s>: Recipient address rejected: undeliverable address: User unknown in virtual alias table' % rcpt
            code, dsn = '550', '5.1.1'
        elif v == 'inprogress':
            text = '<%s>: Recipient address rejected: unverified address: Address verification in progress' % rcpt
            code, dsn = '450', '4.1.1'
        else:
            text = '<%s>: Recipient address rejected: undeliverable address: host %s[%s] said: 550 5.1.1 RESOLVER.ADR.RecipNotFound; not found (in reply to RCPT TO command)' % (rcpt, mx, mxip)
            code, dsn = '550', '5.1.1'
        self.reject(t, prog, pid, None, 'RCPT', c, code, dsn, text, sender, rcpt, 'ESMTP', c[2],
                    shape='smtpd reject RCPT (NOQUEUE)')
        t += 0.2 + rnd() * 0.3
        self.disconnect(t, prog, pid, c, parts + [('mail', 1, 1), ('rcpt', 0, 1), ('quit', 1, 1)])
        pool.put(pid, t)
        if v == 'inprogress' and t + 1800 < self.end:
            self.sim.at(t + 400 + rnd() * 900, self._verify_retry, (c, sender, rcpt, mx, mxip))

    def _verify_retry(self, t, arg):
        c, sender, rcpt, mx, mxip = arg
        inst = self.main
        if self.H.postscreen:
            t = self.ps_pass(t, inst, c, 'old')
        pool = inst.pools['smtpd']
        pid = pool.get(t)
        prog = inst.p['smtpd']
        t = self.connect(t, prog, pid, c, False)
        t += 0.4
        self.reject(t, prog, pid, None, 'RCPT', c, '550', '5.1.1',
                    '<%s>: Recipient address rejected: undeliverable address: host %s[%s] said: 550 5.1.1 RESOLVER.ADR.RecipNotFound; not found (in reply to RCPT TO command)' % (rcpt, mx, mxip),
                    sender, rcpt, 'ESMTP', c[2], shape='smtpd reject RCPT (NOQUEUE)')
        self.disconnect(t + 0.3, prog, pid, c, (('ehlo', 1, 1), ('mail', 1, 1), ('rcpt', 0, 1), ('quit', 1, 1)))
        pool.put(pid, t + 0.3)

    # ---- outbound: our users submit mail
    SHOW_GENERIC = ('acme-tools.example', 'blue-harbor.example', 'cedar-law.example', 'quartz-labs.example',
                    'osprey-logistics.example', 'lagoon-media.example', 'granite-bank.example', 'alpine-travel.example')

    def show_domain(self, key):
        """A recipient domain whose MX gives the reply 'key' (samples showcase)."""
        p = key.split('_')[0]
        if p == 'gm':
            return 'gmail.com'
        if key == 'ms_541':
            return self.ch(('contoso.example', 'fabrikam.example', 'adatum.example'))
        if p == 'ms':
            return self.ch(('outlook.com', 'hotmail.com'))
        if p == 'y':
            return self.ch(('yahoo.com', 'aol.com'))
        if p == 'gmx':
            return 'gmx.de'
        if p == 'ic':
            return 'icloud.com'
        return self.ch(self.SHOW_GENERIC)

    def st_submit(self, t, v=None):
        rnd = self.rnd
        H = self.H
        W = self.W
        inst = self.main
        show = None
        if isinstance(v, tuple):
            show = v[1]
            v = 'showcase'
        smtps = v == 'smtps' or (v is None and rnd() < 0.22)
        user = W.our_user()
        sender = user
        if rnd() < 0.08:
            sender = '%s@%s' % (self.ch(('sales', 'info', 'support', 'office')), user.split('@')[1])
        c = W.user_client()
        k = 1 if rnd() < 0.7 else 2 + int(rnd() * 2) if rnd() < 0.75 else 4 + int(rnd() * 4)
        rcpts = []
        for i in range(k):
            if rnd() < 0.1:
                rcpts.append(W.our_user())
            elif v == 'multi' and i > 0:
                rcpts.append('%s@%s' % (W.person(), rcpts[0].split('@')[1]))
            else:
                rcpts.append(W.ext_addr())
        if v == 'multi':
            while len(rcpts) < 4:
                rcpts.append('%s@%s' % (W.person(), rcpts[0].split('@')[1]))
        if v == 'ipv6relay':
            rcpts[0] = '%s@gmail.com' % W.person()
        if v in ('expire', 'hold', 'requeue'):
            rcpts[0] = '%s@%s' % (W.person(), self.ch(('defunct-shop.example', 'old-partner.example', 'mail-down.test',
                                                          'legacy-crm.example')))
        if v == 'backupmx':
            rcpts[0] = '%s@%s' % (W.person(), self.ch(('acme-tools.example', 'blue-harbor.example', 'cedar-law.example',
                                                          'quartz-labs.example', 'osprey-logistics.example')))
        if show:
            rcpts = ['%s@%s' % (W.person(), self.show_domain(k)) for k in show]
        rcpts = list(dict.fromkeys(rcpts))
        if smtps:
            pool, prog = inst.pools['smtps'], inst.p['smtps/smtpd']
        else:
            pool, prog = inst.pools['sub'], inst.p['submission/smtpd']
        pid = pool.get(t)
        t = self.connect(t, prog, pid, c, True)
        t += 0.2 + rnd() * 0.5
        qid = self.qid(t, inst)
        self.L(t, prog, pid, '%s: client=%s[%s], sasl_method=%s, sasl_username=%s'
               % (qid, c[0], c[1], self.ch(('PLAIN', 'PLAIN', 'LOGIN', 'XOAUTH2')), user), None, 'smtpd client= (SASL)')
        t += 0.1 * len(rcpts) + 0.3 + rnd() * 2
        mid = self.msgid(t, sender)
        self.cleanup_line(t, inst, qid, 'message-id=<%s>' % mid)
        if H.other_progs:
            self.T(t + 0.02, 'opendkim[%d]' % H.opendkim_pid, '%s: DKIM-Signature field added (s=%s, d=%s)'
                   % (qid, H.dkim_sel, sender.split('@')[1]), 'opendkim (not Postfix)')
        m = Msg(inst, qid, sender, int(1500 + rnd() * rnd() * 400000), [], t, mid)
        for i, r in enumerate(rcpts):
            route = self.route_for(r)
            if route[0] == 'smtp' and show:
                key = show[i]
                dsn = (REPLY.get(key) or XTEXT[key])[0]
                plan = [('B', key)] if dsn[0] == '5' else [('D', key), ('S', None)]
            elif route[0] == 'smtp':
                plan = self.remote_plan(route[1])
                if i == 0:
                    p = self.prov_of(route[1])
                    tabs = PTAB[p if p in PTAB else 'generic']
                    if v == 'bounce':
                        plan = [('B', self.wk(tabs[0]))]
                    elif v == 'defer_sent':
                        plan = [('D', self.wk(tabs[1]))] * (1 + int(rnd() * 3)) + [('S', None)]
                    elif v in ('expire', 'hold', 'requeue'):
                        plan = [('D', self.ch(PERSIST))]
            else:
                plan = self.local_plan(route, r)
            m.rcpts.append(Rc(r, route, plan))
        if v == 'hold':
            m.held = 1
        elif v == 'backupmx':
            m.origin = 'backupmx'
            m.rcpts[0].plan = [('S', None)]
        elif v == 'requeue':
            m.held = 4
        t += 0.05
        self.qmgr(t, inst, m)
        n = len(rcpts)
        if smtps:
            parts = [('ehlo', 1, 1), ('auth', 1, 1)]
        else:
            parts = [('ehlo', 2, 2), ('starttls', 1, 1), ('auth', 1, 1)]
        parts += [('mail', 1, 1), ('rcpt', n, n), ('data', 1, 1), ('quit', 1, 1)]
        self.disconnect(t + 0.05 + rnd() * 0.2, prog, pid, c, parts)
        pool.put(pid, t + 0.3)
        self.sim.at(t + 0.01 + rnd() * 0.1, self.attempt, m)

    def st_submit_rej(self, t, v=None):
        """Refusals on the submission ports."""
        rnd = self.rnd
        H = self.H
        W = self.W
        inst = self.main
        kinds = ('noauth', 'mismatch', 'mismatch_mail', 'eom_quota', 'bdat_mrb', 'size', 'warn_mismatch')
        if v not in kinds:
            v = self.ch(kinds)
        smtps = v == 'mismatch_mail' or rnd() < 0.2
        if smtps:
            pool, prog = inst.pools['smtps'], inst.p['smtps/smtpd']
        else:
            pool, prog = inst.pools['sub'], inst.p['submission/smtpd']
        user = W.our_user()
        c = W.user_client() if v != 'noauth' else W.spam_client()
        pid = pool.get(t)
        t = self.connect(t, prog, pid, c, True)
        t += 0.3 + rnd() * 0.5
        helo = c[2]
        base = [('ehlo', 1, 1)] if smtps else [('ehlo', 2, 2), ('starttls', 1, 1)]
        if v == 'noauth':
            r = W.ext_addr()
            s = W.spam_addr() or 'info@' + H.domains[0]
            for _ in range(1 + int(rnd() * 2)):
                self.L(t, prog, pid, 'warning: %s[%s]: SASL LOGIN authentication failed: UGFzc3dvcmQ6' % (c[0], c[1]), None,
                       'smtpd warning SASL authentication failed')
                t += 2 + rnd() * 2
            self.reject(t, prog, pid, None, 'RCPT', c, '554', '5.7.1', '<%s>: Recipient address rejected: Access denied' % r,
                        s, r, 'ESMTP', helo, shape='smtpd reject RCPT (NOQUEUE)')
            parts = base + [('auth', 0, 2), ('mail', 1, 1), ('rcpt', 0, 1), ('quit', 1, 1)]
        elif v in ('mismatch', 'mismatch_mail', 'warn_mismatch'):
            s = '%s@%s' % (self.ch(('ceo', 'billing', 'noreply', 'hr', 'j.doe')), H.domains[0])
            r = W.ext_addr()
            text = '<%s>: Sender address rejected: not owned by user %s' % (s, user)
            if v == 'mismatch_mail':
                self.reject(t, prog, pid, None, 'MAIL', c, '553', '5.7.1', text, s, None, 'ESMTP', helo,
                            shape='smtpd reject MAIL')
                parts = base + [('auth', 1, 1), ('mail', 0, 1), ('quit', 1, 1)]
            elif v == 'mismatch':
                self.reject(t, prog, pid, None, 'RCPT', c, '553', '5.7.1', text, s, r, 'ESMTP', helo,
                            shape='smtpd reject RCPT (NOQUEUE)')
                parts = base + [('auth', 1, 1), ('mail', 1, 1), ('rcpt', 0, 1), ('quit', 1, 1)]
            else:
                self.reject(t, prog, pid, None, 'RCPT', c, '553', '5.7.1', text, s, r, 'ESMTP', helo,
                            action='reject_warning', shape='smtpd reject_warning')
                qid = self.qid(t, inst)
                self.L(t + 0.001, prog, pid, '%s: client=%s[%s], sasl_method=PLAIN, sasl_username=%s' % (qid, c[0], c[1], user),
                       None, 'smtpd client= (SASL)')
                mid = self.msgid(t, s)
                self.cleanup_line(t + 0.5, inst, qid, 'message-id=<%s>' % mid)
                route = self.route_for(r)
                m = Msg(inst, qid, s, int(2000 + rnd() * 30000), [Rc(r, route, self.remote_plan(route[1]) if route[0] == 'smtp'
                                                                       else [('S', None)])], t + 0.5, mid)
                self.qmgr(t + 0.52, inst, m)
                self.sim.at(t + 0.6, self.attempt, m)
                parts = base + [('auth', 1, 1), ('mail', 1, 1), ('rcpt', 1, 1), ('data', 1, 1), ('quit', 1, 1)]
        elif v == 'size':
            self.reject(t, prog, pid, None, 'MAIL', c, '552', '5.3.4', 'Message size exceeds fixed limit', None, None,
                        'ESMTP', helo, shape='smtpd reject MAIL')
            parts = base + [('auth', 1, 1), ('mail', 0, 1), ('quit', 1, 1)]
        else:
            qid = self.qid(t, inst)
            self.L(t, prog, pid, '%s: client=%s[%s], sasl_method=PLAIN, sasl_username=%s' % (qid, c[0], c[1], user),
                   None, 'smtpd client= (SASL)')
            if v == 'eom_quota':
                r = W.ext_addr()
                t += 1 + rnd() * 3
                mid = self.msgid(t, user)
                self.cleanup_line(t, inst, qid, 'message-id=<%s>' % mid)
                t += 0.05
                txt = self.ch(('Message quota exceeded for %s (250/250 per day)' % user,
                               'Rate limit exceeded for %s, try again in 1 hour' % user,
                               'You have exceeded your hourly sending limit of 100 recipients'))
                self.reject(t, prog, pid, qid, 'END-OF-MESSAGE', c, '554', '5.7.1', '<END-OF-MESSAGE>: End-of-data rejected: %s' % txt,
                            user, r, 'ESMTP', helo, shape='smtpd reject END-OF-MESSAGE')
                parts = base + [('auth', 1, 1), ('mail', 1, 1), ('rcpt', 1, 1), ('data', 0, 1), ('quit', 1, 1)]
            else:
                rs = [W.ext_addr() for _ in range(2 + int(rnd() * 3))]
                t += 0.3
                self.reject(t, prog, pid, qid, 'BDAT', c, '550', '5.5.3', '<DATA>: Data command rejected: Multi-recipient bounce',
                            '', rs[-1], 'ESMTP', helo, shape='smtpd reject BDAT')
                parts = base + [('auth', 1, 1), ('mail', 1, 1), ('rcpt', len(rs), len(rs)), ('bdat', 0, 1), ('quit', 1, 1)]
        t += 0.2 + rnd() * 0.5
        self.disconnect(t, prog, pid, c, parts)
        pool.put(pid, t)

    # ---- local mail: cron, scripts, aliases
    def st_local(self, t, v=None):
        rnd = self.rnd
        H = self.H
        inst = self.main
        if v is None:
            v = self.ch(('cron', 'cron', 'cron', 'alias', 'nouser', 'full', 'script'))
        uid, user = self.ch(((0, 'root'), (0, 'root'), (33, 'www-data'), (1000, 'deploy'), (110, 'logcheck')))
        if v == 'full':
            uid, user = 33, 'www-data'
        pid = inst.fixed['pickup']
        qid = self.qid(t, inst)
        self.L(t, inst.p['pickup'], pid, '%s: uid=%d from=<%s>' % (qid, uid, user), None, 'pickup uid= from=')
        t += 0.01 + rnd() * 0.05
        sender = '%s@%s' % (user, H.fqdn)
        mid = '%s.%s@%s' % (self.stamp(t), qid, H.fqdn)
        self.cleanup_line(t, inst, qid, 'message-id=<%s>' % mid)
        if v in ('cron', 'full'):
            to = ('%s@%s' % (user, H.fqdn), user)
            route = ('local',)
            plan = [('B', 'full')] if v == 'full' else [('S', None)]
        elif v == 'alias':
            to = (H.admin, 'root')
            route = self.route_for(H.admin)
            plan = self.local_plan(route, H.admin)
        elif v == 'nouser':
            lp = self.ch(('backup', 'nagios', 'oracle', 'jenkins', 'ftpuser'))
            to = ('%s@%s' % (lp, H.fqdn), lp)
            route = ('local',)
            plan = [('B', 'nouser')]
        else:
            r = self.W.ext_addr() if rnd() < 0.6 else self.W.our_user()
            to = (r, '')
            route = self.route_for(r)
            plan = self.remote_plan(route[1]) if route[0] == 'smtp' else self.local_plan(route, r)
        m = Msg(inst, qid, sender, int(600 + rnd() * 20000), [Rc(to[0], route, plan, to[1] if to[1] and '@' not in to[1] else '')],
                t, mid)
        if v == 'alias':
            m.rcpts[0].orig = 'root@%s' % H.fqdn
        t += 0.01
        self.qmgr(t, inst, m)
        self.sim.at(t + 0.005 + rnd() * 0.05, self.attempt, m)

    # ---- third instance: newsletters from the application servers
    def st_out_bulk(self, t, v=None):
        rnd = self.rnd
        H = self.H
        W = self.W
        inst = H.insts.get('postfix-out')
        if inst is None:
            return self.st_submit(t)
        c = ('app%d.%s' % (1 + int(rnd() * 2), H.domains[0]), '10.0.3.%d' % (15 + int(rnd() * 2)), '')
        c = (c[0], c[1], c[0])
        pool = inst.pools['smtpd']
        pid = pool.get(t)
        prog = inst.p['smtpd']
        t = self.connect(t, prog, pid, c, False)
        n = 2 + int(rnd() * 14)
        for i in range(n):
            t += 0.05 + rnd() * 0.2
            qid = self.qid(t, inst)
            self.L(t, prog, pid, '%s: client=%s[%s]' % (qid, c[0], c[1]), None, 'smtpd client=')
            r = '%s@%s' % (W.person(), W.freemail()) if rnd() < 0.8 else W.ext_addr()
            sender = 'bounces+%s=%s@%s' % (r.split('@')[0], r.split('@')[1], H.news_domain)
            t += 0.02 + rnd() * 0.1
            mid = '%s.%d.%s@%s' % (self.stamp(t), int(rnd() * 1e6), self.hexs(8), H.news_domain)
            self.cleanup_line(t, inst, qid, 'message-id=<%s>' % mid)
            route = self.route_for(r)
            m = Msg(inst, qid, sender, int(18000 + rnd() * 40000), [Rc(r, route, self.remote_plan(route[1], 0.9))], t, mid)
            self.qmgr(t + 0.003, inst, m)
            self.sim.at(t + 0.01 + rnd() * 0.2, self.attempt, m)
        t += 0.1
        self.disconnect(t, prog, pid, c, (('ehlo', 1, 1), ('mail', n, n), ('rcpt', n, n), ('data', n, n), ('quit', 1, 1)))
        pool.put(pid, t)

    # ---- lines without events
    def st_noise_session(self, t, v=None):
        rnd = self.rnd
        W = self.W
        H = self.H
        inst = self.main
        kinds = ('lost', 'sasl', 'sasl', 'nonsmtp', 'tls', 'timeout', 'pipelining', 'norevdns', 'probe', 'probe')
        if v not in kinds:
            v = self.ch(kinds)
        c = W.spam_client()
        if v == 'probe':
            c = ('monitor.%s' % H.domains[0], H.office_ip, 'monitor.%s' % H.domains[0])
        if v == 'sasl':
            c = ('unknown', c[1], c[2])
            sub = rnd() < 0.7
            pool, prog = (inst.pools['sub'], inst.p['submission/smtpd']) if sub else (inst.pools['smtps'], inst.p['smtps/smtpd'])
        else:
            pool, prog = inst.pools['smtpd'], inst.p['smtpd']
            if H.postscreen and v not in ('probe',):
                t = self.ps_pass(t, inst, c, 'old' if rnd() < 0.7 else 'new')
        pid = pool.get(t)
        if v == 'norevdns':
            ip = c[1] if ':' not in c[1] else W.ip4()
            name = W.ptr_dyn(ip)
            self.L(t, prog, pid, 'warning: hostname %s does not resolve to address %s: Name or service not known' % (name, ip),
                   None, 'smtpd warning hostname does not resolve')
            c = ('unknown', ip, c[2])
        self.L(t, prog, pid, 'connect from %s[%s]' % (c[0], c[1]), None, 'smtpd connect')
        t += 0.2 + rnd() * 2
        cn = '%s[%s]' % (c[0], c[1])
        if v == 'lost':
            after = self.ch(('CONNECT', 'EHLO', 'STARTTLS', 'MAIL', 'RSET'))
            self.L(t, prog, pid, 'lost connection after %s from %s' % (after, cn), None, 'smtpd lost connection')
            parts = {'CONNECT': (), 'EHLO': (('ehlo', 1, 1),), 'STARTTLS': (('ehlo', 1, 1), ('starttls', 1, 1)),
                     'MAIL': (('ehlo', 1, 1), ('mail', 1, 1)), 'RSET': (('ehlo', 1, 1), ('rset', 1, 1))}[after]
        elif v == 'sasl':
            n = 1 + int(rnd() * 4)
            mech = self.ch(('LOGIN', 'LOGIN', 'PLAIN'))
            for i in range(n):
                self.L(t, prog, pid, 'warning: %s: SASL %s authentication failed: %s' % (
                    cn, mech, 'UGFzc3dvcmQ6' if mech == 'LOGIN' else 'authentication failure'), None,
                    'smtpd warning SASL authentication failed')
                t += 1 + rnd() * 3
            self.L(t, prog, pid, 'lost connection after AUTH from %s' % cn, None, 'smtpd lost connection')
            parts = (('ehlo', 1, 1), ('auth', 0, n))
        elif v == 'nonsmtp':
            self.L(t, prog, pid, 'warning: non-SMTP command from %s: %s' % (cn, self.ch(('GET / HTTP/1.1', 'GET /favicon.ico HTTP/1.1',
                                                                                      'CONNECT mail.example.com:25 HTTP/1.1'))),
                   None, 'smtpd warning non-SMTP command')
            parts = (('unknown', 0, 1),)
        elif v == 'tls':
            if rnd() < 0.5:
                self.L(t, prog, pid, 'SSL_accept error from %s: -1' % cn, None, 'smtpd SSL_accept error')
            else:
                self.L(t, prog, pid, 'warning: TLS library problem: error:0A000438:SSL routines::tlsv1 alert internal error:../ssl/record/rec_layer_s3.c:1605:SSL alert number 80:',
                       None, 'smtpd warning TLS library problem')
            self.L(t + 0.001, prog, pid, 'lost connection after STARTTLS from %s' % cn, None, 'smtpd lost connection')
            parts = (('ehlo', 1, 1), ('starttls', 0, 1))
        elif v == 'timeout':
            after = self.ch(('END-OF-MESSAGE', 'DATA (0 bytes)', 'RCPT', 'CONNECT'))
            t += 300
            self.L(t, prog, pid, 'timeout after %s from %s' % (after, cn), None, 'smtpd timeout')
            parts = {'END-OF-MESSAGE': (('ehlo', 1, 1), ('mail', 1, 1), ('rcpt', 1, 1), ('data', 0, 1)),
                     'DATA (0 bytes)': (('ehlo', 1, 1), ('mail', 1, 1), ('rcpt', 1, 1), ('data', 0, 1)),
                     'RCPT': (('ehlo', 1, 1), ('mail', 1, 1), ('rcpt', 1, 1)), 'CONNECT': ()}[after]
        elif v == 'pipelining':
            self.L(t, prog, pid, 'improper command pipelining after CONNECT from %s: EHLO %s\\r\\nMAIL FROM:<%s>\\r\\n' % (
                cn, c[2], W.spam_addr()), None, 'smtpd improper command pipelining')
            parts = (('ehlo', 1, 1), ('mail', 0, 1), ('quit', 1, 1))
        elif v == 'norevdns':
            parts = (('ehlo', 1, 1), ('quit', 1, 1))
        else:
            parts = (('ehlo', 1, 1), ('quit', 1, 1))
        t += 0.001
        self.disconnect(t, prog, pid, c, parts)
        pool.put(pid, t)

    def st_misc(self, t, v=None):
        rnd = self.rnd
        H = self.H
        inst = self.main
        W = self.W
        kinds = ['anvil', 'scache', 'ps_cache', 'dnsblog_warn', 'rate_warn', 'verify_cache']
        if H.other_progs:
            kinds += ['dovecot_login', 'dovecot_login', 'dovecot_fail', 'postgrey_cleanup']
        if v not in kinds and v != 'reload':
            v = self.ch(kinds)
        at = time.strftime('%b %d %H:%M:%S', time.gmtime(t - 60 - rnd() * 500))
        if at[4] == '0':
            at = at[:4] + ' ' + at[5:]
        if v == 'anvil':
            p, pid = inst.p['anvil'], inst.fixed['anvil']
            ip = W.ip4()
            self.L(t, p, pid, 'statistics: max connection rate %d/60s for (smtp:%s) at %s' % (1 + int(rnd() * 9), ip, at), None, 'anvil statistics')
            self.L(t, p, pid, 'statistics: max connection count %d for (smtp:%s) at %s' % (1 + int(rnd() * 4), ip, at), None, 'anvil statistics')
            self.L(t, p, pid, 'statistics: max cache size %d at %s' % (1 + int(rnd() * 12), at), None, 'anvil statistics')
        elif v == 'scache':
            p, pid = inst.p['scache'], inst.fixed['scache']
            self.L(t, p, pid, 'statistics: start interval %s' % at, None, 'scache statistics')
            h = int(rnd() * 8)
            m = 1 + int(rnd() * 8)
            self.L(t, p, pid, 'statistics: domain lookup hits=%d miss=%d success=%d%%' % (h, m, 100 * h // (h + m)), None, 'scache statistics')
            self.L(t, p, pid, 'statistics: address lookup hits=0 miss=%d success=0%%' % m, None, 'scache statistics')
            self.L(t, p, pid, 'statistics: max simultaneous domains=%d addresses=%d connection=%d' % (1 + h // 3, 1 + h // 3, 1 + h // 3),
                   None, 'scache statistics')
        elif v == 'ps_cache':
            if H.postscreen:
                self.L(t, inst.p['postscreen'], inst.fixed['postscreen'], 'cache btree:/var/lib/postfix/postscreen_cache full cleanup: retained=%d dropped=%d entries'
                       % (800 + int(rnd() * 3000), int(rnd() * 200)), None, 'postscreen cache cleanup')
        elif v == 'verify_cache':
            pool = inst.pools['verify']
            pid = pool.get(t)
            self.L(t, inst.p['verify'], pid, 'cache btree:/var/lib/postfix/verify_cache full cleanup: retained=%d dropped=%d entries'
                   % (50 + int(rnd() * 500), int(rnd() * 40)), None, 'verify cache cleanup')
            pool.put(pid, t + 1)
        elif v == 'dnsblog_warn':
            pool = inst.pools['dnsblog']
            pid = pool.get(t)
            ip = W.ip4()
            rev = W.rev(ip)
            d = self.ch(('b.barracudacentral.org', 'bl.spamcop.net', 'zen.spamhaus.org'))
            self.L(t, inst.p['dnsblog'], pid, 'warning: dnsblog_query: lookup error for DNS query %s.%s: Host or domain name not found. Name service error for name=%s.%s type=A: Host not found, try again'
                   % (rev, d, rev, d), None, 'dnsblog warning')
            pool.put(pid, t + 0.1)
        elif v == 'rate_warn':
            pool = inst.pools['smtpd']
            pid = pool.get(t)
            c = W.spam_client()
            self.L(t, inst.p['smtpd'], pid, 'warning: Connection rate limit exceeded: %d from %s[%s] for service smtp'
                   % (31 + int(rnd() * 40), c[0], c[1]), None, 'smtpd warning rate limit')
            pool.put(pid, t + 0.1)
        elif v == 'reload':
            self.L(t, inst.p['postfix-script'], self.newpid(), 'refreshing the Postfix mail system', None, 'postfix-script')
            self.L(t + 0.05, inst.p['master'], inst.fixed['master'], 'reload -- version %s, configuration /etc/postfix' % H.version,
                   None, 'master reload')
            inst.fixed['qmgr'] = self.newpid(True)
            inst.fixed['pickup'] = self.newpid(True)
        elif v in ('dovecot_login', 'dovecot_fail'):
            u = W.our_user()
            c = W.user_client()
            sess = self.rstr(16, B64[:62])
            mpid = 20000 + int(rnd() * 40000)
            if v == 'dovecot_login':
                self.T(t, 'dovecot', 'imap-login: Login: user=<%s>, method=PLAIN, rip=%s, lip=%s, mpid=%d, TLS, session=<%s>'
                       % (u, c[1], H.ip if ':' not in c[1] else H.ip6, mpid, sess), 'dovecot imap-login (not Postfix)')
                self.T(t + 20 + rnd() * 3000, 'dovecot', 'imap(%s)<%d><%s>: Disconnected: Logged out in=%d out=%d deleted=0 expunged=0 trashed=0 hdr_count=0 hdr_bytes=0 body_count=%d body_bytes=%d'
                       % (u, mpid, sess, 100 + int(rnd() * 900), 1000 + int(rnd() * 90000), int(rnd() * 5), int(rnd() * 90000)),
                       'dovecot imap logout (not Postfix)')
            else:
                c = W.spam_client()
                lp = self.ch(('admin', 'test', 'info', 'postmaster', 'user'))
                self.T(t, 'dovecot', 'auth: passwd-file(%s,%s,<%s>): unknown user' % (lp, c[1], sess), 'dovecot auth (not Postfix)')
                self.T(t + 2.1, 'dovecot', 'imap-login: Disconnected: Connection closed (auth failed, 1 attempts in 2 secs): user=<%s>, method=PLAIN, rip=%s, lip=%s, TLS, session=<%s>'
                       % (lp, c[1], H.ip if ':' not in c[1] else H.ip6, sess), 'dovecot imap-login (not Postfix)')
        elif v == 'postgrey_cleanup':
            b = 5000 + int(rnd() * 20000)
            self.T(t, 'postgrey[%d]' % H.postgrey_pid, 'cleaning up old logs...', 'postgrey housekeeping (not Postfix)')
            self.T(t + 0.2, 'postgrey[%d]' % H.postgrey_pid, 'cleaning up old entries...', 'postgrey housekeeping (not Postfix)')
            self.T(t + 1.5, 'postgrey[%d]' % H.postgrey_pid, 'cleaning main database finished. before: %d, after: %d' % (b, b - int(rnd() * 800)),
                   'postgrey housekeeping (not Postfix)')

    def st_boot(self, t, v=None):
        """Container start (maillog_file): master starts, old queue files are picked up."""
        rnd = self.rnd
        H = self.H
        inst = self.main
        self.L(t, inst.p['postfix-script'], self.newpid(), 'starting the Postfix mail system', None, 'postfix-script')
        self.L(t + 0.08, inst.p['master'], inst.fixed['master'], 'daemon started -- version %s, configuration /etc/postfix' % H.version,
               None, 'master daemon started')
        t += 1.5
        for age, n, plan in ((6 * 86400 + 3600, 3, [('D', 'x_timeout')]), (5 * 3600, 2, [('S', None)])):
            q = self.qid(t - age, inst)
            r = self.W.ext_addr()
            m = Msg(inst, q, self.W.our_user(), 3000 + int(rnd() * 9000), [Rc(r, self.route_for(r), plan)], t - age, None)
            m.msgid = self.msgid(t - age, m.sender)
            m.n = n
            self.sim.at(t + rnd(), self.attempt, m)
            t += 1

    def st_broken(self, t, v):
        """Deliberately damaged lines (samples only); see SHAPES.md for which ones are events."""
        inst = self.main
        W = self.W
        p = inst.p['smtpd']
        pid = self.newpid()
        if v == 'trunc_header':
            h = self.hdr(t)
            self.sim.emit(t, h[:11], RAW, 'broken: truncated syslog header (no event)')
        elif v == 'cut_reject':
            self.L(t, p, pid, 'NOQUEUE: reject: RCPT from unknown[%s' % W.ip4(), None,
                   'broken: line cut inside a reject, before the reply code (no event)')
        elif v == 'badutf8':
            ip = W.ip4()
            helo = 'mail.\udcc3(%s' % self.ch(('xample.test', 'ostserver.test'))
            c = ('unknown', ip, helo)
            s = W.spam_addr()
            r = W.our_user()
            self.reject(t, p, pid, None, 'RCPT', c, '450', '4.7.1', '<%s>: Helo command rejected: Host not found' % helo,
                        s, r, 'ESMTP', helo, shape='broken: invalid UTF-8 in HELO name (complete reject: event)')
        elif v == 'badutf8_ehlo':
            ip = W.ip4()
            helo = '\udcff\udcfe\udcc0%s' % self.ch(('PC', 'mail'))
            self.reject(t, inst.p['smtpd'], pid, None, 'EHLO', ('unknown', ip, helo), '504', '5.5.2',
                        '<%s>: Helo command rejected: need fully-qualified hostname' % helo, proto='SMTP', helo=helo,
                        shape='broken: invalid UTF-8 in HELO name (complete reject: event)')
        elif v == 'nul':
            h = self.hdr(t)
            self.sim.emit(t, '\x00' * 37 + h + '%s[%s]: connect from unknown[%s]' % (p, pid, W.ip4()), RAW,
                          'broken: NUL bytes before the header (no event)')
        elif v == 'noheader':
            q = self.qid(t, inst)
            self.sim.emit(t, ' %s[%s]: %s: to=<%s>, relay=127.0.0.1[127.0.0.1]:10024, delay=423, delays=0.1/0/0.02/423, dsn=4.3.0, status=deferred (host 127.0.0.1[127.0.0.1] said: 451 4.3.0 Error: queue file write error (in reply to end of DATA command))'
                          % (inst.p['smtp'], self.newpid(), q, W.our_user()), RAW,
                          'broken: status line without syslog header (no event)')
        elif v == 'glued':
            h = self.hdr(t)
            ip = W.ip4()
            self.sim.emit(t, '%s%s[%s]: connect from unknown[%s]%s%s[%s]: disconnect from unknown[%s] ehlo=1 quit=1 commands=2'
                          % (h, p, pid, ip, h, p, pid, ip), RAW, 'broken: two lines glued together (no event)')


# --------------------------------------------------------------------------
# story mix
# --------------------------------------------------------------------------
MIX = (('st_in_ok', 26), ('st_in_rej', 7), ('st_in_partial', 2), ('st_in_early', 1.5), ('st_in_data', 1.2),
       ('st_content', 2), ('st_in_net', 5), ('st_ps_drop', 5), ('st_ps_enforce', 2.5), ('st_greylist', 2),
       ('st_reject_warning', 0.5), ('st_verify', 0.6), ('st_submit', 18), ('st_submit_rej', 0.8), ('st_local', 3),
       ('st_out_bulk', 3.5), ('st_noise_session', 6), ('st_misc', 3))
# relative traffic per hour of day
DIURNAL = (0.35, 0.3, 0.28, 0.28, 0.3, 0.35, 0.5, 0.7, 0.9, 1.0, 1.0, 0.95, 0.85, 0.9, 1.0, 1.0, 0.95, 0.85,
           0.7, 0.6, 0.55, 0.5, 0.45, 0.4)


def mix_table(g):
    return cumtab([(getattr(g, name), w) for name, w in MIX])


def hdr_rfc3164(host, zero_pad=False):
    cache = [None, '']
    fmt = '%s %02d %02d:%02d:%02d %s ' if zero_pad else '%s %2d %02d:%02d:%02d %s '

    def hdr(t):
        s = int(t)
        if s != cache[0]:
            tm = time.gmtime(s)
            cache[0] = s
            cache[1] = fmt % (MON[tm.tm_mon], tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, host)
        return cache[1]
    return hdr


def hdr_rfc3339(host, zone):
    """zone(t) -> (offset seconds, suffix); t is UTC."""
    cache = [None, '']

    def hdr(t):
        off, z = zone(t)
        lt = t + off
        s = int(lt)
        if s != cache[0]:
            cache[0] = s
            cache[1] = time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime(s))
        return '%s.%06d%s %s ' % (cache[1], int((lt - s) * 1000000), z, host)
    return hdr


def run(g, starts, out, limit=0, record=None):
    """Drain stories and the event heap in time order; write lines to the binary file out."""
    sim = g.sim
    h = sim.h
    hdr = g.hdr
    end = g.end
    pop = heapq.heappop
    buf = []
    n = 0
    nxt = next(starts, None)
    while True:
        if nxt is not None and (not h or nxt[0] <= h[0][0]):
            fn = nxt[2]
            fn(nxt[0], nxt[3])
            nxt = next(starts, None)
            continue
        if not h:
            break
        t, _, text, ev, shape = pop(h)
        if t > end:
            break
        if text is None:
            ev(t, shape)
            continue
        n += 1
        line = text if ev is RAW else hdr(t) + text
        buf.append(line)
        if record is not None:
            record(n, line, ev, shape)
        if len(buf) >= 16384:
            buf.append('')
            out.write('\n'.join(buf).encode('utf-8', 'surrogateescape'))
            buf = []
        if n == limit:
            break
    if buf:
        buf.append('')
        out.write('\n'.join(buf).encode('utf-8', 'surrogateescape'))
    return n


# --------------------------------------------------------------------------
# hosts
# --------------------------------------------------------------------------
def host_mx1(start, end):
    return Host(
        name='mx1', fqdn='mx1.example.com', ip='192.0.2.25', ip6='2001:db8:25::25', office_ip='192.0.2.10',
        domains=['example.com', 'example.net'], pid_base=11800, version='3.5.25',
        wl_word='WHITELISTED', bl_word='BLACKLISTED', lifetime=86400, min_backoff=300, max_backoff=14400,
        delay_warning=14400, amavis=True, amavis_pid=2301, postscreen=True, dnsbl_log=True, other_progs=True,
        dovecot=True, postgrey_pid=1410, opendkim_pid=1388, dkim_sel='mail2025', tls_log=True,
        inst_spec=[('postfix', False, '192.0.2.25', True), ('postfix-in', True, '192.0.2.26', False),
                   ('postfix-out', True, '192.0.2.27', True)],
        routes={'example.com': ('lmtp',), 'example.net': ('virtual',), 'mx1.example.com': ('local',),
                'lists.example.com': ('pipe', 'mailman'), 'noreply.example.com': ('discard', 'noreply.example.com'),
                'former.example.com': ('error', '5.1.1', 'This domain no longer accepts mail; please write to example.com'),
                'news.example.com': ('pipe', 'bounce-handler')},
        special={'discard': 'noreply@noreply.example.com', 'pipe': '%s@lists.example.com', 'error': 'former.example.com'},
        lmtp_relay='mx1.example.com[private/dovecot-lmtp]', mailstore=None,
        unknown_table='virtual mailbox table', resolver='192.0.2.53', in_domain='example.net',
        news_domain='news.example.com', verify_domain='branch.example.com',
        relayhosts={'branch.example.com': ('exchange.branch.example.com', '10.30.0.8')},
        start=start, end=end)


def host_mx2(start, end):
    return Host(
        name='mx2', fqdn='mx2.example.com', ip='198.51.100.25', ip6='2001:db8:100::25', office_ip='198.51.100.10',
        domains=['example.com'], pid_base=2200, version='3.7.11',
        wl_word='ALLOWLISTED', bl_word='DENYLISTED', lifetime=86400, min_backoff=300, max_backoff=4000,
        delay_warning=0, amavis=False, amavis_pid=0, postscreen=True, dnsbl_log=True, other_progs=True,
        dovecot=False, postgrey_pid=887, opendkim_pid=871, dkim_sel='mx2', tls_log=True,
        inst_spec=[('postfix', True, '198.51.100.25', True)],
        routes={'example.com': ('mailstore',), 'mx2.example.com': ('local',)},
        special={}, lmtp_relay=None, mailstore='mailstore.example.com[10.20.0.5]:24',
        unknown_table='relay recipient table', resolver='198.51.100.53', in_domain='example.com',
        news_domain='news.example.com', verify_domain='branch.example.com',
        relayhosts={'branch.example.com': ('exchange.branch.example.com', '10.30.0.8')},
        start=start, end=end)


def host_mx3(start, end):
    return Host(
        name='mx3', fqdn='mx3.example.org', ip='203.0.113.25', ip6='2001:db8:113::25', office_ip='203.0.113.10',
        domains=['example.org'], pid_base=300, version='3.8.6',
        wl_word='ALLOWLISTED', bl_word='DENYLISTED', lifetime=5 * 86400, min_backoff=300, max_backoff=4000,
        delay_warning=0, amavis=False, amavis_pid=0, postscreen=True, dnsbl_log=False, other_progs=False,
        dovecot=False, postgrey_pid=0, opendkim_pid=0, dkim_sel='', tls_log=False,
        inst_spec=[('postfix', False, '203.0.113.25', True)],
        routes={'example.org': ('pipe', 'dovecot'), 'mx3.example.org': ('local',)},
        special={}, lmtp_relay=None, mailstore=None,
        unknown_table='virtual mailbox table', resolver='203.0.113.53', in_domain='example.org',
        news_domain='news.example.org', verify_domain=None, relayhosts={},
        start=start, end=end)


def host_bench(start):
    return host_mx1(start, INF)


def finish_host(g):
    H = g.H
    H.admin = g.W.users[0]


# --------------------------------------------------------------------------
# committed samples
# --------------------------------------------------------------------------
def utc(y, mo, d, hh=0, mm=0, ss=0):
    return calendar.timegm((y, mo, d, hh, mm, ss, 0, 0, 0))


def schedule(g, cover, fill, start, end, burst=0.35):
    """Story start times: coverage stories plus random fill, diurnal, partly in bursts."""
    rnd = g.rnd
    tab = mix_table(g)
    items = []
    for name, v, k in cover:
        for _ in range(k):
            items.append((getattr(g, name), v))
    for _ in range(fill):
        items.append((g.wk(tab), None))
    g.r.shuffle(items)
    out = []
    span = end - start
    for i, (fn, v) in enumerate(items):
        if out and rnd() < burst:
            t = out[int(rnd() * len(out))][0] + rnd() * 25
        else:
            while True:
                t = start + rnd() * span
                if rnd() < DIURNAL[int((t % 86400) // 3600)]:
                    break
        out.append((t, i, fn, v))
    out.sort(key=lambda x: (x[0], x[1]))
    return out


COVER_MX1 = [
    ('st_in_rej', 'unknown_user', 3), ('st_in_rej', 'rbl', 3), ('st_in_rej', 'rdns', 2), ('st_in_rej', 'helo', 2),
    ('st_in_rej', 'helo_empty', 3), ('st_in_rej', 'relay', 2), ('st_in_rej', 'relay_old', 3),
    ('st_in_rej', 'sender_domain', 2), ('st_in_rej', 'nullmx', 2), ('st_in_rej', 'sender_fqdn', 2), ('st_in_rej', 'spf', 3),
    ('st_in_rej', 'quota', 2), ('st_in_rej', 'access', 2), ('st_in_rej', 'pipelining', 2), ('st_in_rej', 'ratelimit', 2),
    ('st_in_rej', 'rcpt_domain', 2), ('st_in_rej', 'dbl', 2), ('st_in_rej', 'openresolver', 2), ('st_in_rej', 'greylist1', 2),
    ('st_in_rej', 'dbl_helo', 2), ('st_in_rej', 'truncated', 4), ('st_in_rej', 'ipv6', 3),
    ('st_in_early', 'connect', 3), ('st_in_early', 'ehlo', 3), ('st_in_early', 'helo', 2), ('st_in_early', 'mail_size', 2),
    ('st_in_early', 'mail_storage', 2), ('st_in_early', 'mail_storage_old', 2), ('st_in_early', 'mail_sender', 2),
    ('st_in_early', 'vrfy', 2), ('st_in_early', 'vrfy_relay', 2), ('st_in_early', 'vrfy_trunc', 2),
    ('st_in_early', 'connect_warn', 2),
    ('st_in_data', 'pipelining', 2), ('st_in_data', 'mrb_data', 2), ('st_in_data', 'mrb_bdat', 2), ('st_in_data', 'bdat_nvr', 2),
    ('st_in_data', 'milter_rcpt', 3), ('st_in_data', 'milter_data', 3), ('st_in_data', 'milter_eom_smtpd', 3),
    ('st_content', 'reject_header', 3), ('st_content', 'reject_body', 3), ('st_content', 'hold', 3),
    ('st_content', 'discard', 3), ('st_content', 'warning', 2), ('st_content', 'milter_eom', 4),
    ('st_in_partial', None, 4), ('st_reject_warning', None, 3),
    ('st_in_net', 'reject', 4), ('st_in_net', 'forward', 4), ('st_in_net', 'vquota', 2), ('st_in_net', 'local', 3),
    ('st_ps_drop', 'pregreet', 3), ('st_ps_drop', 'hangup', 3), ('st_ps_drop', 'dnsbl', 3), ('st_ps_drop', 'time', 2),
    ('st_ps_drop', 'count', 2), ('st_ps_drop', 'length', 2), ('st_ps_drop', 'nonsmtp', 2), ('st_ps_drop', 'bare', 2),
    ('st_ps_drop', 'toomany', 2),
    ('st_ps_enforce', 'dnsbl', 3), ('st_ps_enforce', 'pregreet', 2), ('st_ps_enforce', 'pregreet_dnsbl', 2),
    ('st_ps_enforce', 'bl', 3), ('st_ps_enforce', 'passnew450', 3), ('st_ps_enforce', 'bare', 2),
    ('st_ps_enforce', 'nonsmtp', 2), ('st_ps_enforce', 'hangup', 2), ('st_ps_enforce', 'time', 2),
    ('st_ps_enforce', 'count', 2), ('st_ps_enforce', 'length', 2),
    ('st_greylist', None, 3),
    ('st_verify', 'undeliverable', 2), ('st_verify', 'deliverable', 2), ('st_verify', 'notcached', 2),
    ('st_verify', 'inprogress', 2),
    ('st_submit', 'bounce', 5), ('st_submit', 'defer_sent', 3), ('st_submit', 'expire', 3), ('st_submit', 'hold', 2),
    ('st_submit', 'requeue', 2), ('st_submit', 'multi', 2), ('st_submit', 'backupmx', 3), ('st_submit', 'ipv6relay', 3), ('st_submit', 'smtps', 2),
    ('st_submit_rej', 'noauth', 2), ('st_submit_rej', 'mismatch', 2), ('st_submit_rej', 'mismatch_mail', 2),
    ('st_submit_rej', 'eom_quota', 3), ('st_submit_rej', 'bdat_mrb', 2), ('st_submit_rej', 'size', 2),
    ('st_submit_rej', 'warn_mismatch', 2),
    ('st_local', 'cron', 3), ('st_local', 'alias', 2), ('st_local', 'nouser', 2), ('st_local', 'full', 2),
    ('st_local', 'script', 2), ('st_out_bulk', None, 2),
    ('st_in_ok', 'ipv6', 3), ('st_in_ok', 'bdat', 2), ('st_in_ok', 'alias', 2), ('st_in_ok', 'discard', 3),
    ('st_in_ok', 'pipe', 2), ('st_in_ok', 'error', 3), ('st_in_ok', 'whitelisted', 3), ('st_in_ok', 'passnew', 2),
    ('st_in_ok', 'quoted', 2), ('st_in_ok', 'lmtp_defer', 3), ('st_in_ok', 'lmtp_bounce', 2), ('st_in_ok', 'pipe_bounce', 2),
    ('st_noise_session', 'lost', 2), ('st_noise_session', 'sasl', 2), ('st_noise_session', 'nonsmtp', 1),
    ('st_noise_session', 'tls', 2), ('st_noise_session', 'timeout', 1), ('st_noise_session', 'pipelining', 1),
    ('st_noise_session', 'norevdns', 2), ('st_noise_session', 'probe', 3),
    ('st_misc', 'anvil', 2), ('st_misc', 'scache', 1), ('st_misc', 'ps_cache', 1), ('st_misc', 'dnsblog_warn', 1),
    ('st_misc', 'rate_warn', 2), ('st_misc', 'verify_cache', 1), ('st_misc', 'dovecot_login', 3),
    ('st_misc', 'dovecot_fail', 2), ('st_misc', 'postgrey_cleanup', 1), ('st_misc', 'reload', 1),
]
SHOWCASE = ('gm_spam', 'gm_dmarc', 'gm_unauth', 'gm_nouser', 'gm_disabled', 'gm_full', 'gm_rate', 'gm_url', 'gm_rcvrate',
            'gm_unauth_tmp', 'ms_606', 'ms_s3150', 'ms_541', 'ms_509', 'ms_515', 'ms_550', 'ms_650', 'ms_500', 'y_tss04',
            'y_nouser', 'y_disabled', 'y_tss09', 'y_unauth', 'gmx_ptr', 'gmx_rate', 'ic_spam', 'g_vmt', 'g_exch_nouser',
            'g_full', 'g_size', 'g_zen', 'g_barracuda', 'g_spamcop', 'g_proofpoint', 'g_mimecast', 'g_spf',
            'g_sender_verify', 'g_grey_pg', 'g_grey_milter', 'g_grey_exim', 'g_toomany', 'g_cf_upstream', 'g_tls454',
            'x_timeout', 'x_susp_to', 'x_susp_lost', 'x_dns_tmp', 'x_tls_req', 'x_tls_hs', 'x_nxdomain', 'x_nullmx',
            'x_loop', 'x_greet_lost', 'x_lost_rcpt', 'x_eod_to', 'gm_spam', 'x_timeout', 'x_susp_to', 'g_grey_pg',
            'x_nxdomain')
COVER_MX1 += [('st_submit', ('showcase', SHOWCASE[i:i + 4]), 1) for i in range(0, len(SHOWCASE), 4)]
COVER_MX2 = [
    ('st_in_ok', 'whitelisted', 3), ('st_ps_enforce', 'bl', 3), ('st_ps_enforce', 'dnsbl', 2),
    ('st_ps_drop', None, 6), ('st_content', 'milter_eom', 4), ('st_verify', None, 5), ('st_in_rej', None, 12),
    ('st_submit', None, 8), ('st_submit', 'bounce', 3), ('st_in_data', 'milter_rcpt', 2), ('st_greylist', None, 2),
    ('st_in_partial', None, 2), ('st_in_ok', 'ipv6', 2),
]
COVER_MX3 = [
    ('st_in_ok', 'whitelisted', 3), ('st_ps_enforce', 'bl', 3), ('st_in_rej', None, 6), ('st_submit', None, 4),
    ('st_submit', 'bounce', 2), ('st_ps_drop', None, 3), ('st_in_ok', None, 4),
]
BROKEN = (('trunc_header', 2025, 12, 29, 3, 12, 7), ('cut_reject', 2025, 12, 30, 14, 27, 11),
          ('badutf8', 2025, 12, 31, 9, 41, 2), ('badutf8_ehlo', 2026, 1, 2, 5, 13, 55),
          ('nul', 2026, 1, 1, 4, 2, 19), ('noheader', 2026, 1, 2, 17, 48, 30), ('glued', 2025, 12, 28, 19, 6, 44))

REQUIRED = (
    'smtpd reject CONNECT', 'smtpd reject EHLO/HELO', 'smtpd reject MAIL', 'smtpd reject RCPT (NOQUEUE)',
    'smtpd reject RCPT (queued, after an accepted RCPT)', 'smtpd reject DATA', 'smtpd reject BDAT', 'smtpd reject VRFY',
    'smtpd reject END-OF-MESSAGE', 'smtpd reject old-style (no enhanced status)', 'smtpd reject truncated (no ; from=)',
    'smtpd reject empty object', 'smtpd reject RCPT (NOQUEUE, IPv6 client)', 'smtpd reject_warning',
    'smtpd milter-reject RCPT', 'smtpd milter-reject DATA', 'smtpd milter-reject END-OF-MESSAGE (no reply code)',
    'smtpd proxy-reject END-OF-MESSAGE (no client in line)', 'postscreen NOQUEUE: reject: RCPT',
    'postscreen PREGREET [event]', 'postscreen HANGUP [event]', 'postscreen DNSBL rank [event]',
    'postscreen COMMAND TIME LIMIT [event]', 'postscreen COMMAND COUNT LIMIT [event]',
    'postscreen COMMAND LENGTH LIMIT [event]', 'postscreen NON-SMTP COMMAND [event]', 'postscreen BARE NEWLINE [event]',
    'postscreen PREGREET [no event: a reject of the same session follows]',
    'postscreen DNSBL rank [no event: a reject of the same session follows]',
    'postscreen BARE NEWLINE [no event: a reject of the same session follows]',
    'postscreen PASS NEW', 'postscreen PASS OLD', 'postscreen WHITELISTED', 'postscreen ALLOWLISTED',
    'postscreen BLACKLISTED (enforce)', 'postscreen DENYLISTED (enforce)', 'dnsblog addr listed',
    'cleanup reject: header', 'cleanup reject: body', 'cleanup hold: header', 'cleanup discard: header',
    'cleanup warning: header', 'cleanup milter-reject END-OF-MESSAGE (no reply code)',
    'delivery smtp status=sent', 'delivery smtp status=bounced', 'delivery smtp status=deferred',
    'delivery lmtp status=sent', 'delivery lmtp status=bounced', 'delivery lmtp status=deferred',
    'delivery local status=sent', 'delivery local status=bounced', 'delivery virtual status=sent',
    'delivery virtual status=bounced', 'delivery pipe status=sent', 'delivery error status=bounced',
    'delivery discard status=sent', 'delivery error status=undeliverable-but-not-cached',
    'delivery smtp status=undeliverable', 'delivery smtp status=deliverable', 'qmgr status=expired',
    'bounce sender non-delivery notification', 'smtp host said (standalone soft error, no event)',
    'postsuper placed on hold', 'postsuper released from hold', 'postsuper requeued', 'smtpd client= (SASL)',
    'pickup uid= from=', 'qmgr from= (queue active)', 'qmgr removed', 'smtpd TLS established', 'smtp TLS established',
    'amavis Passed CLEAN', 'dovecot lmtp saved', 'opendkim (not Postfix)', 'postgrey action=greylist',
    'postgrey action=pass',
)

TSV_HEADER = ('file', 'line', 'kind', 'direction', 'stage', 'queue_id', 'client_ip', 'sender', 'recipient',
              'reply_code', 'status')


def safe(s):
    """Printable form of a log line for SHAPES.md (invalid bytes as \\xNN)."""
    b = s.encode('utf-8', 'surrogateescape')
    out = b.decode('ascii', 'backslashreplace').replace('\x00', '\\x00')
    return out


def samples(outdir):
    os.makedirs(outdir, exist_ok=True)
    events = []
    shapes = {}
    lines_per_file = {}

    def recorder(fname):
        def rec(n, line, ev, shape):
            if ev is not None and ev is not RAW:
                events.append((fname, n, ev))
            d = shapes.get(shape)
            if d is None:
                d = shapes[shape] = [{}, line]
            d[0][fname] = d[0].get(fname, 0) + 1
        return rec

    # ---- mail.log: mx1, traditional syslog, across New Year
    start, end = utc(2025, 12, 28, 0, 0, 0), utc(2026, 1, 3, 19, 0, 0)
    sim = Sim()
    g = Gen(host_mx1(start, end), 20251228, False, sim)
    finish_host(g)
    g.hdr = hdr_rfc3164('mx1')
    sched = schedule(g, COVER_MX1, 0, start + 100, end - 5400)
    extra = [(utc(2025, 12, 31, 23, 59, 41), 'st_in_rej', None), (utc(2025, 12, 31, 23, 59, 49), 'st_ps_drop', None),
             (utc(2025, 12, 31, 23, 59, 57), 'st_in_ok', None), (utc(2025, 12, 31, 23, 59, 58), 'st_submit', None),
             (utc(2026, 1, 1, 0, 0, 1), 'st_in_rej', 'rbl'), (utc(2026, 1, 1, 0, 0, 3), 'st_in_ok', None),
             (utc(2025, 12, 31, 22, 40, 12), 'st_submit', 'defer_sent'), (utc(2025, 12, 31, 17, 5, 40), 'st_submit', 'expire'),
             (utc(2025, 12, 31, 23, 58, 30), 'st_greylist', None)]
    extra += [(utc(*b[1:]), 'st_broken', b[0]) for b in BROKEN]
    for i, (t, name, v) in enumerate(extra):
        sched.append((t, 100000 + i, getattr(g, name), v))
    sched.sort(key=lambda x: (x[0], x[1]))
    with open(os.path.join(outdir, 'mail.log'), 'wb') as f:
        lines_per_file['mail.log'] = run(g, iter(sched), f, record=recorder('mail.log'))

    # ---- mail-rfc3339.log: mx2, rsyslog RFC 3339, zone changes from +01:00 to +00:00 to Z
    start, end = utc(2026, 1, 5, 5, 0, 0), utc(2026, 1, 6, 21, 30, 0)
    z1, z2 = utc(2026, 1, 5, 15, 0, 0), utc(2026, 1, 6, 9, 0, 0)

    def zone(t):
        return (3600, '+01:00') if t < z1 else (0, '+00:00') if t < z2 else (0, 'Z')
    sim = Sim()
    g = Gen(host_mx2(start, end), 20260105, False, sim)
    finish_host(g)
    g.hdr = hdr_rfc3339('mx2', zone)
    sched = schedule(g, COVER_MX2, 0, start + 60, end - 3600)
    for i, (t, name, v) in enumerate(((z1 - 3.5, 'st_in_ok', None), (z1 - 1.2, 'st_in_rej', 'rbl'),
                                      (z2 - 2.0, 'st_submit', 'defer_sent'), (z2 - 0.5, 'st_ps_drop', 'dnsbl'))):
        sched.append((t, 100000 + i, getattr(g, name), v))
    sched.sort(key=lambda x: (x[0], x[1]))
    with open(os.path.join(outdir, 'mail-rfc3339.log'), 'wb') as f:
        lines_per_file['mail-rfc3339.log'] = run(g, iter(sched), f, record=recorder('mail-rfc3339.log'))

    # ---- maillog: mx3, Postfix maillog_file (postlogd), container started at 10:00
    start, end = utc(2026, 1, 7, 10, 0, 0), utc(2026, 1, 7, 19, 30, 0)
    sim = Sim()
    g = Gen(host_mx3(start, end), 20260107, False, sim)
    finish_host(g)
    g.hdr = hdr_rfc3164('mx3', zero_pad=True)
    sched = schedule(g, COVER_MX3, 1, start + 30, end - 1800)
    sched.append((start + 0.4, -1, g.st_boot, None))
    sched.sort(key=lambda x: (x[0], x[1]))
    with open(os.path.join(outdir, 'maillog'), 'wb') as f:
        lines_per_file['maillog'] = run(g, iter(sched), f, record=recorder('maillog'))

    # ---- the oracle
    with open(os.path.join(outdir, 'expected-events.tsv'), 'w', encoding='utf-8', newline='\n') as f:
        f.write('\t'.join(TSV_HEADER) + '\n')
        for fname, n, ev in events:
            row = (fname, str(n)) + tuple(ev)
            for cell in row:
                assert '\t' not in cell and '\n' not in cell, row
            f.write('\t'.join(row) + '\n')

    missing = [s for s in REQUIRED if sum(shapes.get(s, [{}])[0].values()) < 2]
    write_shapes(os.path.join(outdir, 'SHAPES.md'), shapes, events, lines_per_file)
    for fname, n in lines_per_file.items():
        print('%-18s %5d lines' % (fname, n), file=sys.stderr)
    print('expected-events.tsv %4d events' % len(events), file=sys.stderr)
    if missing:
        print('shapes seen fewer than twice: %s' % ', '.join(missing), file=sys.stderr)
        return 1
    return 0


SHAPES_INTRO = """# Postfix samples: shapes and oracle

Generated by `generate.py --samples samples/postfix/` (deterministic; do not edit by hand).

| file | host | header format | local time span | notes |
|---|---|---|---|---|
| `mail.log` | `mx1` | RFC 3164 (`Dec 31 23:59:58 mx1 ...`, day space-padded) | 2025-12-28 00:00 .. 2026-01-03 ~19:00 | crosses New Year; no year in the log: it ends in early January **2026**, so December lines are **2025**. Three Postfix instances (`postfix`, `postfix-in`, `postfix-out`), non-Postfix programs (amavis, dovecot, opendkim, postgrey, policyd-spf), damaged lines. |
| `mail-rfc3339.log` | `mx2` | rsyslog RFC 3339 with microseconds | 2026-01-05 06:00+01:00 .. 2026-01-06 21:30Z | zone `+01:00` until 2026-01-05T15:00Z, then `+00:00` until 2026-01-06T09:00Z, then `Z`: the local clock jumps back one hour at the first switch (convert to UTC!). Long queue ids. |
| `maillog` | `mx3` | Postfix >= 3.4 `maillog_file` (`Jan 07 10:00:01 mx3 ...`, day zero-padded) | 2026-01-07 10:00 .. 19:30 | container start (postfix-script, master), only Postfix lines. |

## Oracle rules (`expected-events.tsv`)

One row per event, in file order (files in the order of the table above); `line` is 1-based. A line yields at most one event.

- **inbound** (our server judged a client): every smtpd/postscreen `reject:`/`milter-reject:`/`proxy-reject:` line, every `reject_warning:` line (kind `reject_warning`), cleanup `reject:`/`milter-reject:` (kind `reject`), `hold:` (kind `hold`), `discard:` (kind `discard`); postscreen verdicts `PREGREET`, `HANGUP`, `DNSBL rank`, `COMMAND TIME/COUNT/LENGTH LIMIT`, `NON-SMTP COMMAND`, `BARE NEWLINE` are kind `reject`, stage `connect`, empty queue id/code/status -- **unless** a `NOQUEUE: reject:` of the same `[ip]:port` follows, then only the reject lines count. postscreen `NOQUEUE: reject: CONNECT from [ip]:port: too many connections` is a `reject` with empty code and status. `WHITELISTED/ALLOWLISTED`, `BLACKLISTED/DENYLISTED` (always followed by a reject here), `PASS`, `CONNECT`, `DISCONNECT` are not events.
- **outbound** (a delivery agent's outcome): every `smtp/lmtp/local/virtual/pipe/error/discard` line with `status=`: `sent`/`deliverable` -> `deliver` (the `discard` agent's `sent` -> `discard`), `bounced`/`undeliverable`/`undeliverable-but-not-cached` -> `bounce`, `deferred` -> `defer`; qmgr `from=<..>, status=expired, returned to sender` -> `expire` (no recipient).
- `stage`: from the command (`CONNECT`->connect, `EHLO`/`HELO`->helo, `MAIL`->mail, `RCPT`/`VRFY`->rcpt, `DATA`/`BDAT`->data, `END-OF-MESSAGE`->eom; cleanup `header`/`body`). For delivery lines from the text in parentheses, first match wins: `in reply to RCPT TO command` or `while sending RCPT TO` -> rcpt; `in reply to MAIL FROM command` or `while sending MAIL FROM` -> mail; `in reply to end of DATA command` or `while sending end of data` -> eom; `in reply to DATA command` or `while sending message body` -> data; `in reply to HELO/EHLO command` -> helo; `initial server greeting`, `refused to talk to me`, or a text starting with `connect to ` / containing `: connect to ` -> connect; otherwise empty (e.g. `Host or domain name not found`, `(in reply to STARTTLS command)`, local delivery texts).
- `queue_id`: the id before the colon; empty for `NOQUEUE`, postscreen, and `proxy-reject` (which has no id).
- `client_ip`: the `[ip]` of the client named in the line (smtpd, postscreen `[ip]:port`, cleanup `from host[ip];`); for outbound events, the client of the message's smtpd `client=` line (correlation by queue id), empty when the message has none (local submissions, bounce notifications). Empty for `proxy-reject` (the line names no client).
- `sender`: `from=<...>` of the line (empty for `<>` or when the line has no `from=`); for delivery outcomes the `from=<...>` of the qmgr line of the same queue id (envelope sender after rewriting, e.g. SRS, `double-bounce@...` for verify probes, empty for bounces). Quoted local parts keep their quotes.
- `recipient`: `to=<...>` of the line (final recipient, not `orig_to`); empty when absent.
- `reply_code`: smtpd/postscreen: the 3-digit code after `from ...:` (empty for `milter-reject END-OF-MESSAGE` and cleanup actions, which log only `5.7.1 text`); delivery lines: the code at the start of the text or after `said: ` / `refused to talk to me: ` (first occurrence), else empty.
- `status`: the enhanced status after the code (empty for old-style `554 <x>: Relay access denied`, `452 Insufficient system storage`); delivery lines: the `dsn=` value.

## Damaged lines in `mail.log`

| shape | event? |
|---|---|
| truncated syslog header (`Dec 29 03:1`) | no |
| line cut inside a reject before the reply code (`...reject: RCPT from unknown[198.51.100.x`) | no |
| invalid UTF-8 bytes in a HELO name (RCPT reject and EHLO reject, both complete) | **yes** (both) |
| NUL bytes before the header | no |
| delivery status line without syslog header | no |
| two lines glued into one (connect + disconnect) | no |

postscreen sessions in which `HANGUP` or `COMMAND TIME/COUNT/LENGTH LIMIT` is followed by a `NOQUEUE: reject:` of the
same `[ip]:port` (shape names end in "(synthetic order)") do not happen in real Postfix, which drops the connection
after these verdicts; they are there so that the "verdict followed by a reject" rule is tested for every verdict.

Truncated rejects *without* `; from=...` (`...: 554 5.7.1 Service unavailable`, `...: 550 5.1.1 <x>: Recipient address rejected: User unknown in local recip`) are complete enough: they **are** events, with empty sender and recipient.

"""


def write_shapes(path, shapes, events, lines_per_file):
    files = ('mail.log', 'mail-rfc3339.log', 'maillog')
    out = [SHAPES_INTRO]
    out.append('## Line shapes (generated counts)\n')
    out.append('| shape | mail.log | mail-rfc3339.log | maillog | example |')
    out.append('|---|--:|--:|--:|---|')
    for shape in sorted(shapes):
        counts, ex = shapes[shape]
        ex = safe(ex)
        if len(ex) > 230:
            ex = ex[:227] + '...'
        ex = ex.replace('|', '\\|').replace('`', "'")
        out.append('| %s | %s | `%s` |' % (shape.replace('|', '\\|'), ' | '.join(str(counts.get(f, '')) for f in files), ex))
    out.append('| **all lines** | %s | |' % ' | '.join(str(lines_per_file.get(f, 0)) for f in files))
    out.append('')
    out.append('## Oracle totals\n')
    tot = {}
    for fname, n, ev in events:
        k = (ev[0], ev[1])
        tot.setdefault(k, {})
        tot[k][fname] = tot[k].get(fname, 0) + 1
    out.append('| kind | direction | mail.log | mail-rfc3339.log | maillog | total |')
    out.append('|---|---|--:|--:|--:|--:|')
    for (k, d) in sorted(tot):
        c = tot[(k, d)]
        out.append('| %s | %s | %s | %d |' % (k, d, ' | '.join(str(c.get(f, 0)) for f in files), sum(c.values())))
    n = {f: 0 for f in files}
    for fname, _, _ in events:
        n[fname] += 1
    out.append('| **all** | | %s | %d |' % (' | '.join(str(n[f]) for f in files), len(events)))
    out.append('')
    with open(path, 'w', encoding='utf-8', newline='\n') as f:
        f.write('\n'.join(out))


# --------------------------------------------------------------------------
# benchmark logs: simulate a pool of story templates once, then stream replays
# of them with fresh identities (addresses, domains, client IPs, queue ids, pids)
# --------------------------------------------------------------------------
TEMPLATE_STORIES = 2000
TOKEN = re.compile('\x01(.)(\\d+)\x02')


def bench_starts(g, t0, rate):
    """Poisson arrivals of stories, thinned by the hour of day."""
    rnd = g.rnd
    c, k = mix_table(g)
    top = c[-1]
    bis = bisect.bisect
    lg = __import__('math').log
    t = t0
    i = 0
    di = DIURNAL
    while True:
        t -= lg(1.0 - rnd()) / rate
        if rnd() > di[int((t % 86400) // 3600)]:
            continue
        i += 1
        yield (t, i, k[bis(c, rnd() * top)], None)


class TSim(Sim):
    """Collects the lines of each story (and of its continuations) separately."""
    __slots__ = ('sid', 'starts', 'lines')

    def __init__(self):
        Sim.__init__(self)
        self.sid = 0
        self.starts = {}
        self.lines = {}

    def emit(self, t, text, ev=None, shape=None):
        self.lines[self.sid].append((t, text, ev[0] if ev else None))

    def at(self, t, fn, arg):
        self.n += 1
        heapq.heappush(self.h, (t, self.n, None, fn, (self.sid, arg)))


def build_templates(seed, t0, nstories):
    sim = TSim()
    g = Gen(host_bench(t0), seed, True, sim)
    finish_host(g)
    g.tpl = True
    h = sim.h
    starts = bench_starts(g, t0, 0.5)
    for i in range(nstories):
        t, _, fn, _ = next(starts)
        sim.sid = i
        sim.starts[i] = t
        sim.lines[i] = []
        fn(t, None)
        while h and h[0][0] <= t:
            tc, _, _, f, (sid, arg) = heapq.heappop(h)
            sim.sid = sid
            f(tc, arg)
    while h:
        tc, _, _, f, (sid, arg) = heapq.heappop(h)
        sim.sid = sid
        f(tc, arg)
    toks = g.toks
    out = []
    for i in range(nstories):
        ls = sim.lines[i]
        if not ls:
            continue
        ls.sort(key=lambda x: x[0])
        t0s = sim.starts[i]
        ids = []
        seen = set()
        parsed = []
        for t, text, kind in ls:
            parts = TOKEN.split(text)
            # parts: literal, type, id, literal, type, id, ..., literal
            fmt = [parts[0].replace('%', '%%')]
            refs = []
            for k in range(1, len(parts), 3):
                typ, n = parts[k], int(parts[k + 1])
                need = [(typ, n)]
                if typ in 'prh':
                    ref = toks[n][1] if typ == 'p' else toks[n]
                    need.insert(0, ('.' if typ != 'h' else 'd', ref))
                for tt, nn in need:
                    if nn not in seen:
                        seen.add(nn)
                        ids.append((nn, tt))
                refs.append(n)
                fmt.append('%s')
                fmt.append(parts[k + 2].replace('%', '%%'))
            parsed.append((t - t0s, ''.join(fmt), refs, kind))
        ids.sort()
        local = {n: j for j, (n, _) in enumerate(ids)}
        defs = []
        for n, typ in ids:
            e = toks.get(n)
            if typ == 'p':
                e = (e[0], local[e[1]], e[2])
            elif typ in 'rh':
                e = local[e]
            defs.append((typ, e))
        lines = tuple((dt, f, tuple(local[n] for n in refs) if refs else None, kind) for dt, f, refs, kind in parsed)
        out.append((tuple(defs), lines))
    return g, out


def bench(lines, seed, start, fmt, path):
    y, mo, d = (int(x) for x in start.split('-'))
    t0 = utc(y, mo, d)          # local midnight of the first day (rfc3339: +01:00, so one hour earlier in UTC)
    if fmt != 'rfc3164':
        t0 -= 3600
    tm = time.time()
    g, tpls = build_templates(seed, t0, TEMPLATE_STORIES)
    g.tpl = False
    rnd = g.rnd
    per = sum(len(x[1]) for x in tpls) / float(len(tpls))
    days = max(3.0, lines / 2.2e6)
    rate = lines / (per * days * 86400 * (sum(DIURNAL) / 24.0))   # stories/s before hour-of-day thinning
    ntp = len(tpls)
    # replays format their lines with itemgetter(*refs)
    ig = __import__('operator').itemgetter
    def kcount(tl):
        c = {}
        for x in tl:
            if x[3]:
                c[x[3]] = c.get(x[3], 0) + 1
        return tuple(c.items())
    tpls = [(defs, tuple((dt, f, (ig(*refs) if len(refs) > 1 else ig(refs[0])) if refs else None)
                         for dt, f, refs, kind in tl), kcount(tl))
            for defs, tl in tpls]
    pidn = 20000
    grb = g.r.getrandbits
    nF, nL, nW, nS = len(FIRST), len(LAST), len(WORDS), len(SPAMW)
    tlds = []
    for k, w in TLD_BENCH:
        tlds += [k] * w
    nT = len(tlds)
    bad = (10, 100, 127, 169, 172, 192, 198, 203)
    stamps = {}
    cons = 'bcdfghjklmnpqrstvwxz'
    lower = 'abcdefghijklmnopqrstuvwxyz'
    lg = __import__('math').log
    di = DIURNAL
    fs = time.strftime
    gm = time.gmtime
    WIN = 60.0
    widx = 0
    win_end = t0 + WIN
    win = []                # (t, text) of the current minute
    far = {}                # later minutes
    stats = {}
    kinds = []
    buf = []
    n = 0
    tnext = t0 + rnd() * min(60.0, 1.0 / rate)
    last = None
    day = None
    dpre = pre = ''
    off = 0 if fmt == 'rfc3164' else 3600
    rfc3164 = fmt == 'rfc3164'
    US3 = ['%03d' % i for i in range(1000)]
    join = ''.join
    first = __import__('operator').itemgetter(0)
    lsec = None
    lenc = ''

    gc = __import__('gc')
    gc.disable()
    out = open(path, 'wb')
    while n < lines:
        while tnext < win_end:
            ts = tnext
            while True:
                tnext -= lg(1.0 - rnd()) / rate
                if rnd() <= di[int(((tnext + off) % 86400) // 3600)]:
                    break
            defs, tl, kc = tpls[int(rnd() * ntp)]
            if kc:
                kinds.append(kc)
            vals = []
            for typ, e in defs:
                if typ == 'P':
                    pidn += 1 + (grb(6) & 7)
                    if pidn > 4194000:
                        pidn = 300 + grb(10)
                    v = str(pidn)
                elif typ == 'U':
                    x = grb(30) % 240000
                    f = FIRST[x % nF]
                    x //= nF
                    l = LAST[x % nL]
                    x //= nL
                    v = ('%s.%s' % (f, l), '%s%s' % (f[0], l), '%s_%s' % (f, l), '%s.%s%d' % (f, l, x))[x & 3]
                elif typ == 'u':
                    x = grb(52)
                    f = FIRST[x % nF]
                    x //= nF
                    l = LAST[x % nL]
                    x //= nL
                    k = x & 7
                    x >>= 3
                    if k < 3:
                        v = '%s.%s' % (f, l)
                    elif k == 3:
                        v = '%s%s' % (f[0], l)
                    elif k == 4:
                        v = '%s_%s' % (f, l)
                    elif k == 5:
                        v = '%s%d' % (f, x % 10000)
                        x //= 10000
                    elif k == 6:
                        v = '%s.%s%d' % (f, l, x % 100)
                        x //= 100
                    else:
                        v = '%s.%s' % (l, f)
                    if x & 1:
                        v = '%s%d' % (v, (x >> 1) % 1000)
                elif typ == 'q':
                    x = grb(48)
                    y = (x >> 20) & 0x7FFFFFF
                    v = '%05X%X' % ((x & 0xFFFFF) % 1000000, 0x10000 + (y >> ((y & 3) << 2)))
                elif typ == 'm':
                    v = '%020x' % grb(80)
                elif typ == '.':
                    x = grb(32)
                    a = 1 + (x >> 24) % 222
                    if a in bad:
                        a += 1
                    v = '%d.%d.%d.%d' % (a, (x >> 16) & 255, (x >> 8) & 255, 1 + (x & 255) % 254)
                elif typ == 'S':
                    k = int(ts + e)
                    v = stamps.get(k)
                    if v is None:
                        if len(stamps) > 100000:
                            stamps.clear()
                        v = stamps[k] = fs('%Y%m%d%H%M%S', gm(k))
                elif typ == 'd':
                    x = grb(40)
                    w1 = WORDS[x % nW]
                    x //= nW
                    w2 = WORDS[x % nW]
                    x //= nW
                    t3 = tlds[x % nT]
                    x //= nT
                    k = x % 10
                    v = ('%s%s.%s' % (w1, w2, t3) if k < 5 else '%s-%s.%s' % (w1, w2, t3) if k < 8 else
                         '%s%s%d.%s' % (w1, w2, (x // 10) % 100, t3))
                elif typ == 'Q':
                    k = int(ts)
                    if k != lsec:
                        lsec = k
                        lenc = E2[k // 6765201 % 2601] + E2[k // 2601 % 2601] + E2[k % 2601]
                    x = grb(44)
                    u = (x & 0xFFFFF) % 1000000
                    i = 2000 + (x >> 20) % 6000000
                    v = '%s%s%sz%s%s' % (lenc, E2[u // 2601], E2[u % 2601], E2[i // 2601], E2[i % 2601])
                elif typ == 'p':
                    v = ptr_name(e[0], vals[e[1]], e[2]) if ':' not in vals[e[1]] else 'unknown'
                elif typ == 's':
                    x = grb(40)
                    t3 = tlds[x % nT]
                    x //= nT
                    if x & 1:
                        x >>= 1
                        v = '%s%s%d.%s' % (SPAMW[x % nS], WORDS[(x // nS) % nW], (x // nS // nW) % 1000, t3)
                    else:
                        x >>= 1
                        v = ''.join([cons[(x >> (5 * i)) % 20] for i in range(4 + x % 5)]) + '.' + t3
                elif typ == ':':
                    x = grb(48)
                    v = '2001:db8:%x:%x::%x' % (x >> 32, (x >> 16) & 0xffff, 1 + (x & 0xfffe))
                elif typ == 'j':
                    x = grb(60)
                    v = ''.join([lower[(x >> (5 * i)) % 26] for i in range(5 + x % 6)])
                elif typ == 'r':
                    v = '.'.join(reversed(vals[e].split('.')))
                else:   # 'h'
                    v = vals[e].replace('.', '-')
                vals.append(v)
            items = [(ts + dt, f % get(vals) if get else f) for dt, f, get in tl]
            if items[-1][0] < win_end:
                win.extend(items)
            else:
                for it in items:
                    if it[0] < win_end:
                        win.append(it)
                    else:
                        k = int((it[0] - t0) // WIN)
                        lst = far.get(k)
                        if lst is None:
                            far[k] = [it]
                        else:
                            lst.append(it)
        win.sort(key=first)
        if n + len(win) > lines:
            del win[lines - n:]
        n += len(win)
        app = buf.append
        for tt, text in win:
            sec = int(tt)
            if sec != last:
                last = sec
                loc = sec + off
                dd = loc // 86400
                if dd != day:
                    day = dd
                    tmd = gm(loc)
                    dpre = ('%s %2d ' % (MON[tmd.tm_mon], tmd.tm_mday)) if rfc3164 else fs('%Y-%m-%dT', tmd)
                hh, s2 = divmod(loc % 86400, 3600)
                mm, ss = divmod(s2, 60)
                if rfc3164:
                    pre = '%s%02d:%02d:%02d mx1 ' % (dpre, hh, mm, ss)
                else:
                    pre = '%s%02d:%02d:%02d.' % (dpre, hh, mm, ss)
            if rfc3164:
                app(pre + text)
            else:
                u = int((tt - sec) * 1000000)
                app(join((pre, US3[u // 1000], US3[u % 1000], '+01:00 mx1 ', text)))
        if len(buf) >= 16384 or n == lines:
            buf.append('')
            out.write('\n'.join(buf).encode('utf-8', 'surrogateescape'))
            buf = []
        widx += 1
        win_end = t0 + (widx + 1) * WIN
        win = far.pop(widx, [])
    gc.enable()
    for kc in kinds:
        for k, v in kc:
            stats[k] = stats.get(k, 0) + v
    cur = last
    if buf:
        buf.append('')
        out.write('\n'.join(buf).encode('utf-8', 'surrogateescape'))
    out.close()
    el = time.time() - tm
    ev = sum(stats.values())
    bad = sum(v for k, v in stats.items() if k != 'deliver')
    print('%d lines in %.1f s (%.0f lines/s), %.1f days; %d events: %s; %.1f%% of events are not deliveries'
          % (n, el, n / el if el else 0, (cur - t0) / 86400.0, ev,
             ', '.join('%s=%d' % kv for kv in sorted(stats.items())), 100.0 * bad / ev if ev else 0), file=sys.stderr)
    return 0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument('--samples', metavar='DIR', help='write the committed sample files into DIR')
    ap.add_argument('--lines', type=int, help='number of lines of the benchmark log')
    ap.add_argument('--seed', type=int, default=1, help='random seed (default 1)')
    ap.add_argument('--start', default='2026-03-02', help='first day of the benchmark log (YYYY-MM-DD)')
    ap.add_argument('--format', choices=('rfc3164', 'rfc3339'), default='rfc3164')
    ap.add_argument('-o', '--output', metavar='FILE', help='benchmark log to write')
    a = ap.parse_args(argv)
    if a.samples:
        return samples(a.samples)
    if a.lines is None or not a.output:
        ap.error('give --samples DIR, or --lines N and -o FILE')
    if a.lines <= 0:
        ap.error('--lines must be positive')
    return bench(a.lines, a.seed, a.start, a.format, a.output)


if __name__ == '__main__':
    sys.exit(main())
