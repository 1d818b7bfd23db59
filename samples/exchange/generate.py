#!/usr/bin/env python3
"""Deterministic generator of Microsoft Exchange / Exchange Online logs for rejectlens.

Two ways to run it (standard library only; the same arguments always give the same bytes):

  generate.py --samples samples/exchange/
      writes the committed samples (message tracking 2013+ and 2010, SMTP Receive and Send
      protocol logs, an Exchange Online Get-MessageTraceV2 export in UTF-8 and a historical
      search summary in UTF-16LE), the oracle expected-events.tsv and SHAPES.md.

  generate.py --lines N --seed S --kind msgtrk|recv|send|trace [--encoding utf-8|utf-16le]
              [--start 2026-03-02] -o FILE
      streams a log of exactly N lines for benchmarks (flat memory).

The simulation is story based: a story is one message through the transport pipeline
(message tracking), one SMTP session (protocol logs) or one trace row set, written with its own
timestamps. Every record an ingester must turn into events carries those events beside it,
which is how the oracle is written: from what the story meant, not by re-reading the text.

Everything here is project-made, in the shapes of shared/docs/formats/exchange.md; the reply
texts are those of its section 3 (Microsoft's NDR tables) and of well-known Exchange diagnostics.
"""

import argparse
import calendar
import heapq
import os
import random
import sys
import time

# --------------------------------------------------------------------------
# reply texts: (code, enhanced status, text); the oracle takes code and status from here
# --------------------------------------------------------------------------
# our own server failing inbound mail (message tracking FAIL/DEFER, Incoming)
OWN_FAIL = [
    ('550', '5.1.10', 'RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup'),
    ('550', '5.1.1', 'RESOLVER.ADR.ExRecipNotFound; not found'),
    ('554', '5.2.2', 'mailbox full; STOREDRV.Deliver.Exception:QuotaExceededException.'
                     'MapiExceptionShutoffQuotaExceeded; Failed to process message due to a '
                     'permanent exception'),
    ('550', '5.2.3', 'RESOLVER.RST.RecipSizeLimit; message too large for this recipient'),
    ('550', '5.7.1', 'RESOLVER.RST.AuthRequired; authentication required'),
    ('550', '5.7.133', 'RESOLVER.RST.SenderNotAuthenticatedForGroup; authentication required; '
                       'Delivery restriction check failed because the sender was not '
                       'authenticated when sending to this group'),
    ('550', '5.7.124', 'RESOLVER.RST.NotAuthorizedToSendToGroup; Sender not in allowed-senders list'),
    ('550', '5.3.4', 'ROUTING.SizeLimit; message size exceeds fixed maximum size for route'),
    ('554', '5.4.14', 'Hop count exceeded - possible mail loop ATTR34'),
    ('550', '5.1.3', 'STOREDRV.Submit; invalid recipient address'),
]
OWN_DEFER = [
    ('432', '4.3.2', 'STOREDRV.Deliver; recipient thread limit exceeded'),
    ('452', '4.3.1', 'Insufficient system resources'),
    ('451', '4.4.0', 'Message failed to be made redundant'),
]
# remote servers refusing our outbound mail (message tracking FAIL via SMTP, Send logs)
REMOTE_FAIL = [
    ('550', '5.7.23', 'The message was rejected because of Sender Policy Framework violation'),
    ('550', '5.7.509', 'Access denied, sending domain [{dom}] does not pass DMARC verification '
                       'and has a DMARC policy of reject.'),
    ('550', '5.7.606', 'Access denied, banned sending IP [{ip}]. To request removal from this '
                       'list please visit https://sender.office.com/ and follow the directions.'),
    ('550', '5.7.515', 'Access denied, sending domain {dom} does not meet the required '
                       'authentication level.'),
    ('550', '5.4.1', 'Recipient address rejected: Access denied. AS(201806281)'),
    ('550', '5.4.1', 'Relay Access Denied'),
    ('550', '5.7.64', 'TenantAttribution; Relay Access Denied'),
    ('550', '5.1.1', 'Bad destination mailbox address'),
    ('550', '5.1.10', 'RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup'),
    ('550', '5.7.1', 'Unable to relay'),
    ('550', '5.7.1', 'Delivery not authorized'),
    ('550', '5.7.12', 'Sender was not authenticated by organization'),
    ('550', '5.7.501', 'Access denied, spam abuse detected'),
    ('550', '5.7.511', 'Access denied, banned sender'),
    ('550', '5.7.513', 'Service unavailable, Client host [{ip}] blocked by {rdom} using Customer '
                       'Block list (AS16012607)'),
    ('550', '5.7.708', 'Access denied, traffic not accepted from this IP'),
    ('550', '5.7.705', 'Access denied, tenant has exceeded threshold'),
    ('550', '5.7.750', 'Service unavailable. Client blocked from sending from unregistered domains'),
    ('550', '5.5.0', 'Requested action not taken: mailbox unavailable'),
    ('550', '5.7.57', 'Client was not authenticated to send anonymous mail during MAIL FROM'),
    ('550', '5.2.121', "Recipient's per hour message receive limit from specific sender exceeded"),
    ('550', '5.1.8', 'Access denied, bad outbound sender'),
    ('550', '5.6.11', 'SMTPSEND.BareLinefeedsAreIllegal; message contains bare linefeeds, which '
                      'cannot be sent via DATA'),
    ('554', '5.4.4', 'SMTPSEND.DNS.NonExistentDomain; nonexistent domain'),
    ('550', '5.7.25', 'Access denied, the sending IPv6 address [2001:db8:5::25] must have a '
                      'reverse DNS record'),
    ('552', '5.2.2', 'Mailbox full'),
    ('550', '5.0.350', 'Requested action not taken: policy violation detected (AS345)'),
]
REMOTE_DEFER = [
    ('451', '4.4.0', 'Primary target IP address responded with: "421 4.4.2 Connection dropped due '
                     'to SocketError." Attempted failover to alternate host, but that did not '
                     'succeed. Either there are no alternate hosts, or delivery failed to all '
                     'alternate hosts. The last endpoint attempted was {ip}:25'),
    ('441', '4.4.1', 'Error encountered while communicating with primary target IP address: '
                     '"Failed to connect. Winsock error code: 10060, Win32 error code: 10060." '
                     'Attempted failover to alternate host, but that did not succeed. Either '
                     'there are no alternate hosts, or delivery failed to all alternate hosts. '
                     'The last endpoint attempted was {ip}:25'),
    ('451', '4.4.0', 'DNS query failed. The error was: DNS query failed with error ErrorRetry'),
    ('451', '4.7.500', 'Server busy. Please try again later from [{ip}]. (AS770)'),
    ('451', '4.7.650', 'The mail server [{ip}] has been temporarily rate limited due to IP '
                       'reputation.'),
    ('450', '4.7.26', 'Access denied, a message sent over IPv6 [2001:db8:5::25] must pass either '
                      'SPF or DKIM validation, this message is not signed'),
    ('452', '4.5.3', 'Too many recipients'),
    ('432', '4.3.2', 'STOREDRV.Deliver; recipient thread limit exceeded'),
]
EXPIRED = ('550', '4.4.7', 'QUEUE.Expired; message expired')
TRANSPORT_RULE_NDR = ('550', '5.7.1', 'TRANSPORT.RULES.RejectMessage; the message was rejected by '
                                      'organization policy')
# our Receive connectors refusing a client (Receive protocol log), with the command refused
RECV_REFUSALS = [
    ('rcpt', '550', '5.7.54', 'SMTP; Unable to relay recipient in non-accepted domain'),
    ('rcpt', '550', '5.7.1', 'Unable to relay'),
    ('rcpt', '550', '5.1.10', 'RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP '
                              'address lookup'),
    ('rcpt', '550', '5.1.1', 'User unknown'),
    ('rcpt', '452', '4.5.3', 'Too many recipients'),
    ('rcpt', '550', '5.7.1', 'Recipient not authorized, your IP has been found on a block list'),
    ('mail', '501', '5.1.7', 'Invalid address'),
    ('mail', '530', '5.7.57', 'SMTP; Client was not authenticated to send anonymous mail during '
                              'MAIL FROM'),
    ('mail', '452', '4.3.1', 'Insufficient system resources'),
    ('mail', '552', '5.3.4', 'Message size exceeds fixed maximum message size'),
    ('mail', '530', '5.7.1', 'Client was not authenticated'),
    ('helo', '501', '5.5.4', 'Invalid domain name'),
    ('eom', '550', '5.7.1', 'Message rejected as spam by Content Filtering.'),
    ('eom', '554', '5.4.6', 'Hop count exceeded - possible mail loop'),
    ('eom', '550', '5.7.1', 'Delivery not authorized, message refused'),
    ('eom', '550', '5.6.11', 'Invalid characters'),
    ('connect', '421', '4.3.2', 'Service not available, closing transmission channel'),
    ('connect', '554', '5.7.1', 'Service unavailable; Client host [{ip}] blocked using '
                                'zen.spamhaus.org'),
    ('data', '451', '4.7.0', 'Temporary server error. Please try again later. PRX5'),
]
AUTH_NOTES = ('Inbound AUTH LOGIN failed because of LogonDenied',
              'Inbound AUTH LOGIN failed because of LogonDenied',
              'Inbound AUTH NTLM failed because of LogonDenied')
WINSOCK = ('Failed to connect. Winsock error code: 10060, Win32 error code: 10060, Destination '
           'domain: {rdom}, Error Message: A connection attempt failed because the connected '
           'party did not properly respond after a period of time, or established connection '
           'failed because connected host has failed to respond {ip}:25.',
           'Failed to connect. Winsock error code: 10061, Win32 error code: 10061, Destination '
           'domain: {rdom}, Error Message: No connection could be made because the target '
           'machine actively refused it {ip}:25.')

# --------------------------------------------------------------------------
# names
# --------------------------------------------------------------------------
FIRST = ('anna bob carol dave erin frank grace heidi ivan judy ken lena mike nina oscar paula '
         'quinn rita sam tina uwe vera walt xena yuri zoe').split()
LAST = ('adams baker clark davis evans fischer garcia hall ito jones king lopez meyer nowak '
        'owens patel quint rossi smith tanaka ueda vogel weber young zhang').split()
OUR_DOMS = ('contoso.example', 'contoso-sales.example')
EXT_DOMS = ('fabrikam.example', 'northwind.example', 'adatum.example', 'litware.example',
            'woodgrove.example', 'tailspin.example', 'proseware.example', 'wingtip.example',
            'outlook.example', 'gmail.example', 'school.test', 'club.test')
SPAM_DOMS = ('promo-deals.test', 'cheap-rx.test', 'lucky-win.invalid', 'crypto-profit.test')
SUBJECTS = ('Quarterly report', 'Re: budget, Q1', 'Invoice 4711', 'Meeting notes', 'Lunch?',
            'RE: "Project Falcon" status', 'Your parcel is waiting', 'Fwd: contract draft',
            'Password expiry notice', 'Urlaubsantrag f\u00fcr M\u00e4rz', 'Weekly digest')
AGENTS_PASS = ('Transport Rule Agent', 'Malware Agent', 'Content Filter Agent')


def guid(r):
    return '%08x-%04x-%04x-%04x-%012x' % (r.getrandbits(32), r.getrandbits(16), r.getrandbits(16),
                                          r.getrandbits(16), r.getrandbits(48))


def iso(t):
    """UTC microseconds -> 2026-01-05T10:00:00.123Z"""
    s = time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime(t // 1000000))
    return '%s.%03dZ' % (s, (t // 1000) % 1000)


def csv_field(v):
    """RFC 4180 the way Exchange writes it: quoted when holding a comma, quote or line break."""
    if any(c in v for c in ',"\n'):
        return '"' + v.replace('"', '""') + '"'
    return v


def reply(t, **kw):
    code, status, text = t
    return code, status, '%s %s %s' % (code, status, text.format(**kw))


# --------------------------------------------------------------------------
# outputs: a file as a list of records, each with the events it must yield
# --------------------------------------------------------------------------
TSV_HEADER = ('file', 'line', 'kind', 'direction', 'stage', 'queue_id', 'client_ip', 'sender',
              'recipient', 'reply_code', 'status')


class Out:
    """A committed sample: records kept in memory with their events and shape names."""

    def __init__(self, name):
        self.name = name
        self.records = []  # (text, [event tuples], shape)

    def add(self, text, events=(), shape=None):
        self.records.append((text, list(events), shape))
        return True

    def lines(self):
        n = 0
        for text, _, _ in self.records:
            n += text.count('\n') + 1
        return n


class Stream:
    """A benchmark file: records written as they come, up to a number of lines."""

    def __init__(self, f, limit, encoding):
        self.f, self.limit, self.n, self.encoding = f, limit, 0, encoding

    def add(self, text, events=(), shape=None):
        parts = text.split('\n')
        if self.n + len(parts) > self.limit:
            return False
        self.n += len(parts)
        self.f.write((text.replace('\n', '\r\n') + '\r\n').encode(self.encoding))
        return self.n < self.limit


def ev(kind, direction, stage='', qid='', ip='', sender='', rcpt='', code='', status=''):
    return (kind, direction, stage, qid, ip, sender, rcpt, code, status)


# --------------------------------------------------------------------------
# the world: one simulated organisation
# --------------------------------------------------------------------------
class World:
    def __init__(self, seed, start_us):
        self.r = random.Random(seed)
        self.t = start_us
        self.iid = 70912345500000 + self.r.randrange(100000)
        self.sess = 0x08DE2C1A00000000 + self.r.randrange(1 << 24)

    def tick(self, lo=0.2, hi=9.0):
        self.t += int(self.r.uniform(lo, hi) * 1000000)
        return self.t

    def later(self, base, lo, hi):
        return base + int(self.r.uniform(lo, hi) * 1000000)

    def person(self, dom):
        r = self.r
        return '%s.%s@%s' % (r.choice(FIRST), r.choice(LAST), dom)

    def ours(self):
        return self.person(self.r.choice(OUR_DOMS))

    def ext(self):
        return self.person(self.r.choice(EXT_DOMS))

    def spam(self):
        r = self.r
        return '%s%d@%s' % (r.choice(('offer', 'win', 'info', 'noreply')), r.randrange(999),
                            r.choice(SPAM_DOMS))

    def ip(self):
        """an address of the documentation ranges (RFC 5737)"""
        r = self.r
        return '%s.%d' % (r.choice(('192.0.2', '198.51.100', '203.0.113')), r.randrange(1, 254))

    def next_iid(self):
        self.iid += self.r.randrange(1, 40)
        return str(self.iid)

    def next_session(self):
        self.sess += self.r.randrange(1, 9)
        return '%016X' % self.sess

    def msgid(self, dom):
        return '<%s@%s>' % (guid(self.r).replace('-', '')[:24].upper(), dom)


# --------------------------------------------------------------------------
# message tracking
# --------------------------------------------------------------------------
V14 = ('date-time,client-ip,client-hostname,server-ip,server-hostname,source-context,'
       'connector-id,source,event-id,internal-message-id,message-id,recipient-address,'
       'recipient-status,total-bytes,recipient-count,related-recipient-address,reference,'
       'message-subject,sender-address,return-path,message-info,directionality,tenant-id,'
       'original-client-ip,original-server-ip,custom-data').split(',')
V15 = ('date-time,client-ip,client-hostname,server-ip,server-hostname,source-context,'
       'connector-id,source,event-id,internal-message-id,message-id,network-message-id,'
       'recipient-address,recipient-status,total-bytes,recipient-count,'
       'related-recipient-address,reference,message-subject,sender-address,return-path,'
       'message-info,directionality,tenant-id,original-client-ip,original-server-ip,'
       'custom-data,transport-traffic-type,log-id,schema-version').split(',')


def trk_header(fields, version, t):
    return ['#Software: Microsoft Exchange Server', '#Version: %s' % version,
            '#Log-type: Message Tracking Log', '#Date: %s' % iso(t),
            '#Fields: ' + ','.join(fields)]


class Tracking:
    """Stories of messages on one server, written as message tracking rows."""

    def __init__(self, w, out, fields, server, fqdn, ip, schema):
        self.w, self.out, self.fields = w, out, fields
        self.server, self.fqdn, self.ip, self.schema = server, fqdn, ip, schema
        self.fe = 'fe01.' + fqdn.split('.', 1)[1]  # the front end that proxies inbound SMTP
        self.pending, self.seq = [], 0  # rows of stories still running, by time

    def row(self, t, shape, events=(), **kw):
        kw.setdefault('date-time', iso(t))
        if 'schema-version' in self.fields:
            kw.setdefault('transport-traffic-type', 'Email')
            kw.setdefault('log-id', guid(self.w.r))
            kw.setdefault('schema-version', self.schema)
        line = ','.join(csv_field(kw.get(f, '')) for f in self.fields)
        if '\n' in line:
            shape += ' (a quoted field with line breaks: one record, three lines)'
        heapq.heappush(self.pending, (t, self.seq, line, list(events), shape))
        self.seq += 1
        return True

    def flush(self, upto=None):
        """write the rows up to a time (all when None) in time order, as the server did"""
        while self.pending and (upto is None or self.pending[0][0] <= upto):
            _, _, line, evs, shape = heapq.heappop(self.pending)
            if not self.out.add(line, evs, shape):
                return False
        return True

    def msg(self, sender, rcpts, inbound, subject=None, size=None):
        w = self.w
        m = {
            'internal-message-id': w.next_iid(),
            'message-id': w.msgid(sender.split('@')[1] if sender else self.fqdn),
            'network-message-id': guid(w.r),
            'message-subject': subject or w.r.choice(SUBJECTS),
            'sender-address': sender or 'MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@'
                                        + OUR_DOMS[0],
            'return-path': sender if sender else '<>',
            'total-bytes': str(size or w.r.randrange(2000, 400000)),
            'recipient-count': str(len(rcpts)),
            'directionality': 'Incoming' if inbound else 'Originating',
        }
        if 'network-message-id' not in self.fields:
            del m['network-message-id']
        return m

    @staticmethod
    def env(m):
        """the envelope sender the oracle expects: '' for <>"""
        rp = m['return-path']
        return '' if rp == '<>' else rp

    def receive_smtp(self, t, m, rcpts, client_ip, client_name):
        sess = self.w.next_session()
        return self.row(t, 'RECEIVE SMTP (proxied)', (), **{
            'client-ip': self.ip, 'client-hostname': self.fe, 'server-ip': self.ip,
            'server-hostname': self.server,
            'source-context': '%s;%s;0' % (sess, iso(t - 400000)),
            'connector-id': '%s\\Default %s' % (self.server, self.server), 'source': 'SMTP',
            'event-id': 'RECEIVE', 'recipient-address': ';'.join(rcpts),
            'recipient-status': ';'.join('To' for _ in rcpts), 'message-info': '0cA: ',
            'original-client-ip': client_ip, 'original-server-ip': self.ip,
            'custom-data': 'S:ProxyHop1=%s(%s);S:FromEntity=Internet;S:ProxiedClientIPAddress=%s;'
                           'S:ProxiedClientHostname=%s;S:DeliveryPriority=Normal'
                           % (self.fe, self.ip, client_ip, client_name), **m})

    def receive_mailbox(self, t, m, rcpts, client_ip):
        mdb = guid(self.w.r)
        self.row(t - 120000, 'NOTIFYMAPI STOREDRIVER', (), **{
            'client-ip': client_ip, 'client-hostname': self.server,
            'source-context': 'MDB:%s, Mailbox:%s, Event:%d, MessageClass:IPM.Note, '
                              'CreationTime:%s, ClientType:MOMT' % (
                                  mdb, guid(self.w.r), self.w.r.randrange(10 ** 8), iso(t - 150000)),
            'source': 'STOREDRIVER', 'event-id': 'NOTIFYMAPI',
            'sender-address': m['sender-address']})
        return self.row(t, 'RECEIVE STOREDRIVER', (), **{
            'client-ip': client_ip, 'client-hostname': self.server, 'server-hostname': self.server,
            'source-context': 'MDB:%s, Mailbox:%s, Event:%d, MessageClass:IPM.Note' % (
                mdb, guid(self.w.r), self.w.r.randrange(10 ** 8)),
            'source': 'STOREDRIVER', 'event-id': 'RECEIVE', 'recipient-address': ';'.join(rcpts),
            'recipient-status': ';'.join('To' for _ in rcpts), 'message-info': '04I: ',
            'original-client-ip': client_ip, **m})

    def agent_pass(self, t, m, rcpts):
        agent = self.w.r.choice(AGENTS_PASS)
        return self.row(t, 'AGENTINFO (no verdict)', (), **{
            'server-hostname': self.server, 'source-context': agent, 'source': 'AGENT',
            'event-id': 'AGENTINFO', 'recipient-address': ';'.join(rcpts),
            'custom-data': 'S:CFA=SUM|SCL=0|action=Accept' if agent == 'Content Filter Agent'
            else 'S:AMA=SUM|v=1|action=|error=|atch=0', **m})

    @staticmethod
    def direction(m):
        return 'inbound' if m['directionality'] == 'Incoming' else 'outbound'

    def deliver(self, t, m, rcpts, client_ip):
        evs = [ev('deliver', self.direction(m), '', m['internal-message-id'], client_ip,
                  self.env(m), r) for r in rcpts]
        return self.row(t, 'DELIVER STOREDRIVER', evs, **{
            'client-ip': self.ip, 'client-hostname': self.server, 'server-ip': self.ip,
            'server-hostname': self.server, 'source-context': guid(self.w.r),
            'connector-id': '', 'source': 'STOREDRIVER', 'event-id': 'DELIVER',
            'recipient-address': ';'.join(rcpts),
            'message-info': '%s;SRV=%s:TOTAL-DEL=0.%03d' % (iso(t - 900000), self.fqdn,
                                                           self.w.r.randrange(999)),
            **m})

    def send(self, t, m, rcpts, client_ip, mx, mx_ip, external=False, glued=False):
        ok = '250 2.1.5Recipient OK' if glued else '250 2.1.5 Recipient OK'
        evs = [ev('deliver', self.direction(m), '', m['internal-message-id'], client_ip,
                  self.env(m), r, '250', '2.1.5') for r in rcpts]
        return self.row(t, 'SENDEXTERNAL SMTP' if external else 'SEND SMTP', evs, **{
            'client-ip': self.ip, 'client-hostname': self.server, 'server-ip': mx_ip,
            'server-hostname': mx,
            'source-context': ';250 2.6.0 %s [InternalId=%d, Hostname=%s] %d bytes in 0.%03d, '
                              '%d.%03d KB/sec Queued mail for delivery;ClientSubmitTime:' % (
                                  m['message-id'], self.w.r.randrange(10 ** 12), mx,
                                  int(m['total-bytes']), self.w.r.randrange(999),
                                  self.w.r.randrange(9999), self.w.r.randrange(999)),
            'connector-id': 'Outbound to Office 365 - %s' % guid(self.w.r) if external
            else 'Outbound to Internet',
            'source': 'SMTP', 'event-id': 'SENDEXTERNAL' if external else 'SEND',
            'recipient-address': ';'.join(rcpts), 'recipient-status': ';'.join(ok for _ in rcpts),
            'message-info': '%s;LSRV=%s:TOTAL-HUB=%d.%03d|SMR=0.%03d|CAT=0.%03d|QDE=%d.%03d|SMS=0.%03d'
                            % (iso(t - 4000000), self.fqdn, 1, 921, 127, 698, 0, 10, 76),
            'custom-data': 'S:E2ELatency=1.928;S:IsSmtpResponseFromExternalServer=True;'
                           'S:DeliveryPriority=Normal',
            **m})

    def fail(self, t, m, rcpts, statuses, client_ip, source, shape, inbound, mx=None, mx_ip=None,
             kinds=None):
        d = 'inbound' if inbound else 'outbound'
        evs = []
        for i, r in enumerate(rcpts):
            code, status, _ = statuses[i if len(statuses) > 1 else 0]
            kind = (kinds or {}).get(r, 'bounce')
            evs.append(ev(kind, d, '', m['internal-message-id'], client_ip, self.env(m), r, code,
                          status))
        kw = {'server-hostname': mx or self.server, 'source': source, 'event-id': 'FAIL',
              'recipient-address': ';'.join(rcpts),
              'recipient-status': ';'.join(s[2] for s in statuses), **m}
        if mx:
            kw.update({'client-ip': self.ip, 'client-hostname': self.server, 'server-ip': mx_ip,
                       'connector-id': 'Outbound to Internet',
                       'custom-data': 'S:IsSmtpResponseFromExternalServer=True'})
        return self.row(t, shape, evs, **kw)

    def defer(self, t, m, rcpts, st, client_ip, inbound, mx=None, mx_ip=None):
        evs = [ev('defer', 'inbound' if inbound else 'outbound', '', m['internal-message-id'],
                  client_ip, self.env(m), r, st[0], st[1]) for r in rcpts]
        kw = {'server-hostname': mx or self.server, 'source': 'SMTP' if mx else 'STOREDRIVER',
              'event-id': 'DEFER', 'recipient-address': ';'.join(rcpts), 'recipient-status': st[2],
              **m}
        if mx:
            kw.update({'client-ip': self.ip, 'client-hostname': self.server, 'server-ip': mx_ip,
                       'connector-id': 'Outbound to Internet'})
        return self.row(t, 'DEFER SMTP (remote)' if mx else 'DEFER STOREDRIVER', evs, **kw)

    def dsn(self, t, orig, to):
        """the NDR to the sender: its own message, tied by reference to the original"""
        n = self.msg(None, [to], False, subject='Undeliverable: ' + orig['message-subject'])
        n['directionality'] = 'Originating'
        self.row(t, 'DSN', (), **{'server-hostname': self.server, 'source': 'DSN',
                                  'event-id': 'DSN', 'recipient-address': to,
                                  'reference': orig['message-id'], **n})
        return n

    # ---- stories ----
    def st_inbound_ok(self):
        w = self.w
        t = w.tick()
        rcpts = [w.ours() for _ in range(w.r.choice((1, 1, 1, 2, 3)))]
        m = self.msg(w.ext(), rcpts, True)
        cip, cname = w.ip(), 'mail.' + m['return-path'].split('@')[1]
        return (self.receive_smtp(t, m, rcpts, cip, cname) and
                self.agent_pass(w.later(t, 0.05, 0.3), m, rcpts) and
                self.deliver(w.later(t, 0.3, 1.5), m, rcpts, cip))

    def st_inbound_fail(self, which=None, with_dsn=True):
        w = self.w
        t = w.tick()
        good, bad = w.ours(), w.person(OUR_DOMS[0]).replace('.', '_', 1)
        rcpts = [good, bad] if w.r.random() < 0.4 else [bad]
        m = self.msg(w.ext(), rcpts, True)
        cip = w.ip()
        st = reply(OWN_FAIL[which] if which is not None else w.r.choice(OWN_FAIL))
        ok = self.receive_smtp(t, m, rcpts, cip, 'mx.' + m['return-path'].split('@')[1])
        source = 'ROUTING' if st[2].startswith('550 5.1.1') else 'STOREDRIVER'
        ok = ok and self.fail(w.later(t, 0.2, 0.8), m, [bad], [st], cip, source,
                              'FAIL %s (own)' % source, True)
        if good in rcpts:
            ok = ok and self.deliver(w.later(t, 0.9, 1.5), m, [good], cip)
        if with_dsn:
            n = self.dsn(w.later(t, 0.9, 1.2), m, m['return-path'])
            mx = 'mx.' + m['return-path'].split('@')[1]
            ok = ok and self.send(w.later(t, 1.3, 3.0), n, [m['return-path']], '', mx, w.ip())
        return ok

    def st_dl_expand(self):
        """a group expands; one member is over quota"""
        w = self.w
        t = w.tick()
        dl = 'all-staff@' + OUR_DOMS[0]
        m = self.msg(w.ext(), [dl], True)
        cip = w.ip()
        members = [w.ours() for _ in range(3)]
        ok = self.receive_smtp(t, m, [dl], cip, 'smtp.' + m['return-path'].split('@')[1])
        ok = ok and self.row(w.later(t, 0.1, 0.2), 'EXPAND ROUTING', (), **{
            'server-hostname': self.server, 'source': 'ROUTING', 'event-id': 'EXPAND',
            'recipient-address': ';'.join(members), 'related-recipient-address': dl,
            **m})
        ok = ok and self.deliver(w.later(t, 0.5, 0.9), m, members[:2], cip)
        return ok and self.fail(w.later(t, 1.0, 1.4), m, [members[2]], [reply(OWN_FAIL[2])], cip,
                                'STOREDRIVER', 'FAIL STOREDRIVER (own)', True)

    def st_redirect(self):
        w = self.w
        t = w.tick()
        old = 'former.employee@' + OUR_DOMS[0]
        new = w.ours()
        m = self.msg(w.ext(), [old], True)
        cip = w.ip()
        ok = self.receive_smtp(t, m, [old], cip, 'mail.' + m['return-path'].split('@')[1])
        ok = ok and self.row(w.later(t, 0.1, 0.2), 'REDIRECT ROUTING', (), **{
            'server-hostname': self.server, 'source': 'ROUTING', 'event-id': 'REDIRECT',
            'recipient-address': new, 'related-recipient-address': old, **m})
        ok = ok and self.row(w.later(t, 0.2, 0.3), 'RESOLVE ROUTING', (), **{
            'server-hostname': self.server, 'source': 'ROUTING', 'event-id': 'RESOLVE',
            'recipient-address': new, 'related-recipient-address': new.replace('@', '.alias@'),
            **m})
        return ok and self.deliver(w.later(t, 0.5, 0.9), m, [new], cip)

    def st_rule_reject(self):
        """a transport rule rejects: one reject at the agent; the NDR's FAIL is its echo"""
        w = self.w
        t = w.tick()
        rcpt = w.ours()
        m = self.msg(w.ext(), [rcpt], True)
        cip = w.ip()
        ok = self.receive_smtp(t, m, [rcpt], cip, 'mail.' + m['return-path'].split('@')[1])
        ok = ok and self.row(w.later(t, 0.05, 0.1), 'AGENTINFO Transport Rule reject',
                             [ev('reject', 'inbound', '', m['internal-message-id'], cip,
                                 self.env(m), rcpt)], **{
            'server-hostname': self.server, 'source-context': 'Transport Rule Agent',
            'source': 'AGENT', 'event-id': 'AGENTINFO', 'recipient-address': rcpt,
            'custom-data': 'S:TRA=ETR|ruleId=%s|st=%s|action=RejectMessage|sev=1|mode=Enforce'
                           % (guid(w.r), iso(t)), **m})
        ok = ok and self.row(w.later(t, 0.1, 0.2), 'FAIL AGENT (echo of a rule reject)', (), **{
            'server-hostname': self.server, 'source': 'AGENT', 'event-id': 'FAIL',
            'recipient-address': rcpt, 'recipient-status': reply(TRANSPORT_RULE_NDR)[2], **m})
        self.dsn(w.later(t, 0.2, 0.3), m, m['return-path'])
        return ok

    def st_spam(self):
        """the content filter deletes (AGENTINFO) or quarantines, or the message is dropped"""
        w = self.w
        t = w.tick()
        rcpt = w.ours()
        m = self.msg(w.spam(), [rcpt], True)
        cip = w.ip()
        ok = self.receive_smtp(t, m, [rcpt], cip, 'unknown')
        how = w.r.choice(('DeleteMessage', 'Quarantine', 'drop'))
        if how == 'drop':
            return ok and self.row(w.later(t, 0.1, 0.3), 'DROP AGENT',
                                   [ev('discard', 'inbound', '', m['internal-message-id'], cip,
                                       self.env(m), rcpt)], **{
                'server-hostname': self.server, 'source-context': 'Content Filter Agent',
                'source': 'AGENT', 'event-id': 'DROP', 'recipient-address': rcpt, **m})
        kind = 'discard' if how == 'DeleteMessage' else 'hold'
        return ok and self.row(w.later(t, 0.1, 0.3), 'AGENTINFO Content Filter %s' % how,
                               [ev(kind, 'inbound', '', m['internal-message-id'], cip,
                                   self.env(m), rcpt)], **{
            'server-hostname': self.server, 'source-context': 'Content Filter Agent',
            'source': 'AGENT', 'event-id': 'AGENTINFO', 'recipient-address': rcpt,
            'custom-data': 'S:CFA=SUM|SCL=9|action=%s|error=' % how, **m})

    def st_outbound_ok(self, external=False, glued=False):
        w = self.w
        t = w.tick()
        rcpts = [w.ext() for _ in range(w.r.choice((1, 1, 2)))]
        m = self.msg(w.ours(), rcpts, False)
        cip = '10.20.%d.%d' % (w.r.randrange(1, 30), w.r.randrange(2, 250))
        dom = rcpts[0].split('@')[1]
        return (self.receive_mailbox(t, m, rcpts, cip) and
                self.send(w.later(t, 0.4, 2.5), m, rcpts, cip,
                          '%s.mail.protection.outlook.com' % dom.replace('.', '-')
                          if external else 'mx1.' + dom, w.ip(), external=external,
                          glued=glued))

    def st_outbound_fail(self, which=None):
        w = self.w
        t = w.tick()
        rcpt = w.ext()
        m = self.msg(w.ours(), [rcpt], False)
        cip = '10.20.%d.%d' % (w.r.randrange(1, 30), w.r.randrange(2, 250))
        dom = rcpt.split('@')[1]
        st = reply(REMOTE_FAIL[which] if which is not None else w.r.choice(REMOTE_FAIL),
                   dom=m['return-path'].split('@')[1], ip=self.ip, rdom=dom)
        ok = self.receive_mailbox(t, m, [rcpt], cip)
        ok = ok and self.fail(w.later(t, 0.5, 2.0), m, [rcpt], [st], cip, 'SMTP',
                              'FAIL SMTP (remote)', False, mx='mx1.' + dom, mx_ip=w.ip())
        n = self.dsn(w.later(t, 2.0, 2.2), m, m['return-path'])
        return ok and self.deliver(w.later(t, 2.3, 2.9), n, [m['return-path']], '')

    def st_outbound_multi(self):
        """one FAIL row, three recipients, status texts with ';' in them"""
        w = self.w
        t = w.tick()
        dom = w.r.choice(EXT_DOMS)
        rcpts = [w.person(dom) for _ in range(3)]
        m = self.msg(w.ours(), rcpts, False)
        cip = '10.20.%d.%d' % (w.r.randrange(1, 30), w.r.randrange(2, 250))
        sts = [reply(REMOTE_FAIL[8]), reply(REMOTE_FAIL[7]), reply(REMOTE_FAIL[8])]
        ok = self.receive_mailbox(t, m, rcpts, cip)
        return ok and self.fail(w.later(t, 0.5, 2.0), m, rcpts, sts, cip, 'SMTP',
                                'FAIL SMTP (remote, 3 recipients)', False, mx='mx1.' + dom,
                                mx_ip=w.ip())

    def st_outbound_defer(self, expire=False):
        w = self.w
        t = w.tick()
        rcpt = w.ext()
        m = self.msg(w.ours(), [rcpt], False)
        cip = '10.20.%d.%d' % (w.r.randrange(1, 30), w.r.randrange(2, 250))
        dom = rcpt.split('@')[1]
        mx_ip = w.ip()
        ok = self.receive_mailbox(t, m, [rcpt], cip)
        for i in range(w.r.choice((1, 2))):
            st = reply(w.r.choice(REMOTE_DEFER), ip=mx_ip)
            ok = ok and self.defer(w.later(t, 60 * (i + 1), 60 * (i + 1) + 5), m, [rcpt], st,
                                   cip, False, mx='mx1.' + dom, mx_ip=mx_ip)
        if expire:
            ok = ok and self.fail(w.later(t, 600, 610), m, [rcpt], [reply(EXPIRED)], cip, 'QUEUE',
                                  'FAIL QUEUE (expired)', False, kinds={rcpt: 'expire'})
            return ok
        return ok and self.send(w.later(t, 700, 710), m, [rcpt], cip, 'mx1.' + dom, mx_ip)

    def st_own_defer(self):
        w = self.w
        t = w.tick()
        rcpt = w.ours()
        m = self.msg(w.ext(), [rcpt], True)
        cip = w.ip()
        ok = self.receive_smtp(t, m, [rcpt], cip, 'mail.' + m['return-path'].split('@')[1])
        ok = ok and self.defer(w.later(t, 0.5, 1.0), m, [rcpt], reply(w.r.choice(OWN_DEFER)), cip,
                               True)
        return ok and self.deliver(w.later(t, 30, 40), m, [rcpt], cip)

    def st_multiline_subject(self):
        """a subject with line breaks: one record over three lines"""
        w = self.w
        t = w.tick()
        rcpt = w.ours()
        m = self.msg(w.ext(), [rcpt], True, subject='Agenda, part 1\nitem "A"\nitem B')
        cip = w.ip()
        return (self.receive_smtp(t, m, [rcpt], cip, 'mail.' + m['return-path'].split('@')[1]) and
                self.deliver(w.later(t, 0.5, 1.0), m, [rcpt], cip))

    def st_noise(self):
        w = self.w
        t = w.tick()
        which = w.r.randrange(3)
        if which == 0:
            return self.row(t, 'HAREDIRECTFAIL', (), **{
                'server-hostname': self.server, 'source-context': 'No suitable shadow servers',
                'source': 'SMTP', 'event-id': 'HAREDIRECTFAIL', 'internal-message-id': w.next_iid(),
                'message-id': w.msgid(OUR_DOMS[0]), 'recipient-address': w.ours(),
                'total-bytes': '15054', 'recipient-count': '1', 'directionality': 'Incoming'})
        if which == 1:
            return self.row(t, 'SUBMIT STOREDRIVER', (), **{
                'client-hostname': self.server, 'source': 'STOREDRIVER', 'event-id': 'SUBMIT',
                'source-context': 'MDB:%s, Mailbox:%s, Event:%d, MessageClass:IPM.Note' % (
                    guid(w.r), guid(w.r), w.r.randrange(10 ** 8)),
                'sender-address': w.ours()})
        return self.row(t, 'NOTIFYMAPI STOREDRIVER', (), **{
            'client-hostname': self.server, 'source': 'STOREDRIVER', 'event-id': 'NOTIFYMAPI',
            'source-context': 'MDB:%s, Mailbox:%s, Event:%d, MessageClass:IPM.Note.'
                              'StorageQuotaWarning.Warning, ClientType:System' % (
                                  guid(w.r), guid(w.r), w.r.randrange(10 ** 8))})


def tracking_mix(tr):
    r = tr.w.r
    x = r.random()
    if x < 0.30:
        return tr.st_inbound_ok()
    if x < 0.45:
        return tr.st_outbound_ok(external=r.random() < 0.2)
    if x < 0.55:
        return tr.st_inbound_fail()
    if x < 0.67:
        return tr.st_outbound_fail()
    if x < 0.72:
        return tr.st_outbound_defer(expire=r.random() < 0.3)
    if x < 0.76:
        return tr.st_dl_expand()
    if x < 0.80:
        return tr.st_spam()
    if x < 0.83:
        return tr.st_rule_reject()
    if x < 0.86:
        return tr.st_own_defer()
    if x < 0.88:
        return tr.st_outbound_multi()
    if x < 0.90:
        return tr.st_redirect()
    return tr.st_noise()


# --------------------------------------------------------------------------
# SMTP protocol logs
# --------------------------------------------------------------------------
PROTO_FIELDS = 'date-time,connector-id,session-id,sequence-number,local-endpoint,remote-endpoint,event,data,context'


def proto_header(kind, t):
    return ['#Software: Microsoft Exchange Server', '#Version: 15.0.0.0',
            '#Log-type: SMTP %s Protocol Log' % kind, '#Date: %s' % iso(t),
            '#Fields: ' + PROTO_FIELDS]


class Session:
    """one SMTP session's lines, with their times; merged with other sessions by time"""

    def __init__(self, w, connector, local, remote):
        self.w, self.connector, self.local, self.remote = w, connector, local, remote
        self.sid = w.next_session()
        self.seq = 0
        self.items = []  # (t, order, text, events, shape)
        self.t = w.t

    def line(self, e, data='', context='', events=(), shape=None, dt=(0.001, 0.2), same_seq=False):
        self.t += int(self.w.r.uniform(*dt) * 1000000)
        if same_seq:
            self.seq -= 1
        text = ','.join((iso(self.t), self.connector, self.sid, str(self.seq), self.local,
                         self.remote, e, csv_field(data), csv_field(context)))
        self.items.append((self.t, len(self.items), text, list(events), shape or e))
        self.seq += 1


class Protocol:
    def __init__(self, w, server, our_ip):
        self.w, self.server, self.our_ip = w, server, our_ip

    # ---- Receive ----
    def recv_session(self, plan):
        """plan: 'ok', 'auth_fail', 'auth_note_only', or an index into RECV_REFUSALS"""
        w = self.w
        w.tick(0.1, 2.5)
        cip = w.ip()
        remote = '%s:%d' % (cip, w.r.randrange(1025, 65000))
        s = Session(w, '%s\\Default Frontend %s' % (self.server, self.server),
                    '%s:25' % self.our_ip, remote)
        s.line('+')
        if plan == 'connect':
            pass
        refusal = RECV_REFUSALS[plan] if isinstance(plan, int) else None
        if refusal and refusal[0] == 'connect':
            code, status, text = refusal[1], refusal[2], refusal[3].format(ip=cip)
            s.line('>', '%s %s %s' % (code, status, text), '',
                   [ev('reject', 'inbound', 'connect', '', cip, '', '', code, status)],
                   'refusal at connect')
            s.line('-', '', 'Local')
            return s
        s.line('>', '220 %s.contoso.example Microsoft ESMTP MAIL Service ready at Mon, 5 Jan '
                    '2026 10:00:01 +0000' % self.server, '', shape='> 220 banner')
        helo = w.r.choice(('mail.%s' % w.r.choice(EXT_DOMS), '[%s]' % cip, 'WIN-8QL4SDRB93L'))
        s.line('<', 'EHLO %s' % helo)
        if refusal and refusal[0] == 'helo':
            s.line('>', '%s %s %s' % refusal[1:], '',
                   [ev('reject', 'inbound', 'helo', '', cip, '', '', refusal[1], refusal[2])],
                   'refusal at helo')
            s.line('-', '', 'Local')
            return s
        s.line('>', '250  %s.contoso.example Hello [%s] SIZE 37748736 PIPELINING DSN '
                    'ENHANCEDSTATUSCODES STARTTLS X-ANONYMOUSTLS AUTH NTLM LOGIN 8BITMIME '
                    'BINARYMIME CHUNKING' % (self.server, cip))
        if plan in ('auth_fail', 'auth_note_only'):
            s.line('<', 'AUTH LOGIN')
            s.line('>', '334 <authentication response>', dt=(0.5, 3))
            note = w.r.choice(AUTH_NOTES)
            if plan == 'auth_fail':
                s.line('*', '', note, shape='* AUTH failed note (then 535)')
                s.line('*', '', note, same_seq=True, shape='* AUTH failed note repeated')
                s.line('*', '', 'User Name: %s' % w.ours(), same_seq=True)
                s.line('>', '535 5.7.3 Authentication unsuccessful', '',
                       [ev('reject', 'inbound', 'helo', '', cip, '', '', '535', '5.7.3')],
                       '> 535 after AUTH')
            else:
                s.line('*', '', note,
                       events=[ev('reject', 'inbound', 'helo', '', cip)],
                       shape='* AUTH failed note without reply')
                s.line('*', '', 'User Name: %s' % w.ours(), same_seq=True)
            s.line('-', '', 'Remote(SocketError)' if plan == 'auth_note_only' else 'Local')
            return s
        sender = w.spam() if refusal else w.ext()
        rcpts = [w.ours() for _ in range(w.r.choice((1, 1, 2)))]
        stage = refusal[0] if refusal else None
        code = status = text = ''
        if refusal:
            code, status, text = refusal[1], refusal[2], refusal[3].format(ip=cip)
        mail_from = 'MAIL FROM:<%s> SIZE=%d' % (sender, w.r.randrange(2000, 90000))
        if stage == 'mail':
            s.line('<', mail_from)
            s.line('>', '%s %s %s' % (code, status, text), '',
                   [ev('reject', 'inbound', 'mail', '', cip, sender, '', code, status)],
                   'refusal at mail')
            s.line('<', 'QUIT')
            s.line('>', '221 2.0.0 Service closing transmission channel')
            s.line('-', '', 'Local')
            return s
        # pipelined: MAIL, RCPTs (one refused when the refusal is at rcpt), DATA
        s.line('<', mail_from)
        bad = None
        if stage == 'rcpt':
            bad = (w.ext() if 'relay' in text else
                   'no.such.user@' + OUR_DOMS[0])
        all_rcpts = rcpts + ([bad] if bad else [])
        for r in all_rcpts:
            s.line('<', 'RCPT TO:<%s>' % r)
        s.line('>', '250 2.1.0 Sender OK')
        for r in all_rcpts:
            if r == bad:
                tarpit = "Tarpit for '0.00:00:05' due to 'RecipientNotFound'" \
                    if status in ('5.1.10', '5.1.1') else ''
                s.line('>', '%s %s %s' % (code, status, text), tarpit,
                       [ev('reject', 'inbound', 'rcpt', '', cip, sender, bad, code, status)],
                       'refusal at rcpt' + (' (tarpit)' if tarpit else ''))
            else:
                s.line('>', '250 2.1.5 Recipient OK')
        if stage == 'data':
            s.line('<', 'DATA')
            s.line('>', '%s %s %s' % (code, status, text), '',
                   [ev('reject', 'inbound', 'data', '', cip, sender, rcpts[0], code, status)],
                   'refusal at data')
            s.line('-', '', 'Remote(SocketError)')
            return s
        s.line('<', 'DATA')
        s.line('>', '354 Start mail input; end with <CRLF>.<CRLF>')
        s.line('*', '', 'receiving message', dt=(0.2, 2))
        if stage == 'eom':
            s.line('>', '%s %s %s' % (code, status, text), '',
                   [ev('reject', 'inbound', 'eom', '', cip, sender, rcpts[0], code, status)],
                   'refusal at end of data')
        else:
            s.line('>', '250 2.6.0 <%s@%s> [InternalId=%d, Hostname=%s.contoso.example] '
                        'Queued mail for delivery' % (guid(w.r)[:13], sender.split('@')[1],
                                                      w.r.randrange(10 ** 12), self.server),
                   "Tarpit for '0.00:00:00.015' due to 'DelayedAck'" if w.r.random() < 0.3
                   else '')
        s.line('<', 'QUIT')
        s.line('>', '221 2.0.0 Service closing transmission channel')
        s.line('-', '', 'Local')
        return s

    # ---- Send ----
    def send_session(self, plan):
        """plan: 'ok', 'noconnect', ('fail'|'defer', index), 'banner'"""
        w = self.w
        w.tick(0.1, 2.5)
        rdom = w.r.choice(EXT_DOMS)
        mx = 'mx1.%s' % rdom
        mx_ip = w.ip()
        remote = '%s:25' % mx_ip
        s = Session(w, 'Outbound to Internet', '', remote)
        s.line('*', 'SendRoutingHeaders', 'Set Session Permissions')
        s.line('*', '', 'attempting to connect')
        if plan == 'noconnect':
            s.line('*', '', w.r.choice(WINSOCK).format(rdom=rdom, ip=mx_ip),
                   [ev('defer', 'outbound', 'connect')], '* Failed to connect', dt=(21, 21.5))
            return s
        s.local = '%s:%d' % (self.our_ip, w.r.randrange(20000, 65000))
        s.line('+')
        if plan == 'banner':
            s.line('<', '421 4.7.0 %s Too many connections, try again later' % mx, '',
                   [ev('defer', 'outbound', 'connect', '', '', '', '', '421', '4.7.0')],
                   'refusal at connect (remote)')
            s.line('-', '', 'Local')
            return s
        s.line('<', '220 %s Microsoft ESMTP MAIL Service ready' % mx)
        s.line('>', 'EHLO %s.contoso.example' % self.server)
        s.line('<', '250  %s Hello [%s] SIZE 157286400 PIPELINING DSN ENHANCEDSTATUSCODES '
                    'STARTTLS 8BITMIME BINARYMIME CHUNKING SMTPUTF8' % (mx, self.our_ip))
        sender = w.ours()
        rcpts = [w.person(rdom) for _ in range(w.r.choice((1, 1, 2)))]
        s.line('>', 'MAIL FROM:<%s> SIZE=%d' % (sender, w.r.randrange(3000, 200000)))
        s.line('<', '250 2.1.0 Sender OK')
        refused = None
        if isinstance(plan, tuple):
            kind, idx = plan
            table = REMOTE_FAIL if kind == 'fail' else REMOTE_DEFER
            code, status, text = reply(table[idx], dom=sender.split('@')[1], ip=self.our_ip,
                                       rdom=rdom)
            refused = rcpts[-1]
        for r in rcpts:
            s.line('>', 'RCPT TO:<%s>' % r)
            if r == refused:
                s.line('<', text, '',
                       [ev('bounce' if kind == 'fail' else 'defer', 'outbound', 'rcpt', '', '',
                           sender, r, code, status)],
                       'remote %s at rcpt' % ('refusal' if kind == 'fail' else 'deferral'))
            else:
                s.line('<', '250 2.1.5 Recipient OK')
        if refused is None or len(rcpts) > 1:
            last = w.r.random() < 0.5
            s.line('>', 'BDAT %d LAST' % w.r.randrange(3000, 200000) if last else 'DATA')
            if not last:
                s.line('<', '354 Start mail input; end with <CRLF>.<CRLF>')
            s.line('<', '250 2.6.0 <%s@contoso.example> [InternalId=%d, Hostname=%s] Queued mail '
                        'for delivery' % (guid(w.r)[:13], w.r.randrange(10 ** 12), mx),
                   dt=(0.05, 1.5))
        s.line('>', 'QUIT')
        s.line('<', '221 2.0.0 Service closing transmission channel')
        s.line('-', '', 'Local')
        return s


def merge(out, sessions):
    """lines of all sessions in time order (sessions interleave as in a real log)"""
    items = []
    for i, s in enumerate(sessions):
        for t, k, text, evs, shape in s.items:
            items.append((t, i, k, text, evs, shape))
    items.sort()
    for _, _, _, text, evs, shape in items:
        out.add(text, evs, shape)


# --------------------------------------------------------------------------
# Exchange Online exports
# --------------------------------------------------------------------------
TRACE_HEADER = ('Organization', 'MessageId', 'Received', 'SenderAddress', 'RecipientAddress',
                'Subject', 'Status', 'ToIP', 'FromIP', 'Size', 'MessageTraceId', 'StartDate',
                'EndDate', 'Index')
ORG = 'contoso.onmicrosoft.com'
EXO_DOMS = ('contoso.onmicrosoft.com',)


def q(v):
    return '"' + v.replace('"', '""') + '"'


def trace_row(w, out, i, status):
    """one Get-MessageTraceV2 row (Export-Csv quotes every field)"""
    inbound = status in ('FilteredAsSpam', 'Quarantined') or w.r.random() < 0.5
    if inbound:
        sender = w.spam() if status in ('FilteredAsSpam', 'Quarantined') else w.ext()
        rcpt = w.person(EXO_DOMS[0])
        from_ip, to_ip = w.ip(), ''
    else:
        sender, rcpt = w.person(EXO_DOMS[0]), w.ext()
        from_ip, to_ip = '10.20.%d.%d' % (w.r.randrange(1, 30), w.r.randrange(2, 250)), w.ip()
    t = w.tick(1, 60)
    tid = guid(w.r)
    size = w.r.randrange(2000, 900000)
    kind = {'Delivered': 'deliver', 'Failed': 'bounce', 'FilteredAsSpam': 'reject',
            'Quarantined': 'hold', 'Pending': 'defer'}.get(status)
    evs = [ev(kind, 'inbound' if inbound else 'outbound', '', tid, from_ip, sender, rcpt)] \
        if kind else []
    received = time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime(t // 1000000)) + \
        '.%07d' % (t % 1000000 * 10)
    if i % 7 == 3:  # Windows PowerShell writes the culture's format
        tm = time.gmtime(t // 1000000)
        received = '%d/%d/%d %d:%02d:%02d %s' % (tm.tm_mon, tm.tm_mday, tm.tm_year,
                                                 (tm.tm_hour % 12) or 12, tm.tm_min, tm.tm_sec,
                                                 'PM' if tm.tm_hour >= 12 else 'AM')
    cells = (ORG, w.msgid(sender.split('@')[1]), received, sender, rcpt,
             w.r.choice(SUBJECTS), status, to_ip, from_ip, str(size), tid,
             '1/4/2026 12:00:00 AM', '1/6/2026 12:00:00 AM', str(i))
    return out.add(','.join(q(c) for c in cells), evs, 'trace %s' % status)


TRACE_STATUSES = (('Delivered', 50), ('Failed', 12), ('FilteredAsSpam', 10), ('Quarantined', 6),
                  ('Pending', 5), ('Expanded', 4), ('GettingStatus', 3))

SUMMARY_HEADER = ('origin_timestamp_utc', 'sender_address', 'recipient_status', 'message_subject',
                  'total_bytes', 'message_id', 'network_message_id', 'original_client_ip',
                  'directionality', 'connector_id', 'delivery_priority')


def summary_row(w, out):
    inbound = w.r.random() < 0.5
    sender = w.ext() if inbound else w.person(EXO_DOMS[0])
    rcpts = [w.person(EXO_DOMS[0]) if inbound else w.ext() for _ in range(w.r.choice((1, 1, 2, 3)))]
    nmid = guid(w.r)
    cip = w.ip() if inbound else '10.20.%d.%d' % (w.r.randrange(1, 30), w.r.randrange(2, 250))
    parts, evs = [], []
    for r in rcpts:
        last = w.r.choice(('Deliver', 'Deliver', 'Send', 'Fail', 'Defer', 'Drop', 'Expand'))
        if last == 'Send' and inbound:
            last = 'Deliver'
        events = ['Receive'] + (['Defer'] if last == 'Send' and w.r.random() < 0.3 else []) + [last]
        parts.append('%s##%s' % (r, ', '.join(events)))
        kind = {'Deliver': 'deliver', 'Send': 'deliver', 'Fail': 'bounce', 'Defer': 'defer',
                'Drop': 'discard'}.get(last)
        if kind:
            evs.append(ev(kind, 'inbound' if inbound else 'outbound', '', nmid, cip, sender, r))
    t = w.tick(1, 90)
    cells = (time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime(t // 1000000)) +
             '.%07dZ' % (t % 1000000 * 10), sender, ';'.join(parts), w.r.choice(SUBJECTS),
             str(w.r.randrange(2000, 500000)), w.msgid(sender.split('@')[1]), nmid, cip,
             '1' if inbound else '2', '' if inbound else 'Outbound to Internet', 'Normal')
    return out.add(','.join(csv_field(c) for c in cells), evs, 'summary row')


# --------------------------------------------------------------------------
# the committed samples
# --------------------------------------------------------------------------
def utc(y, mo, d, h=0, mi=0, s=0):
    return calendar.timegm((y, mo, d, h, mi, s, 0, 0, 0)) * 1000000


def build_samples():
    outs = []

    # ---- message tracking, Exchange 2019 (v15): every story, every remote and own text
    w = World(20260105, utc(2026, 1, 5, 10, 0, 1))
    o = Out('MSGTRK2026010510-1.LOG')
    for h in trk_header(V15, '15.02.1544.004', w.t):
        o.add(h, shape='header')
    tr = Tracking(w, o, V15, 'EX01', 'EX01.contoso.example', '10.0.0.11', '15.02.1544.004')
    for i in range(len(OWN_FAIL)):
        tr.st_inbound_fail(i, with_dsn=i < 3)
    for i in range(len(REMOTE_FAIL)):
        tr.st_outbound_fail(i)
    tr.st_inbound_ok()
    tr.st_outbound_ok(glued=True)
    tr.st_outbound_ok(external=True)
    tr.st_dl_expand()
    tr.st_redirect()
    tr.st_rule_reject()
    for _ in range(4):
        tr.st_spam()
    tr.st_outbound_multi()
    tr.st_outbound_defer()
    tr.st_outbound_defer(expire=True)
    tr.st_own_defer()
    tr.st_multiline_subject()
    tr.flush()
    # the transport service restarted: a new header block in the same file
    w.t += 800 * 1000000
    for h in trk_header(V15, '15.02.1544.004', w.t):
        o.add(h, shape='header (repeated after a restart)')
    for _ in range(40):
        tracking_mix(tr)
    tr.flush()
    outs.append(o)

    # ---- message tracking, Exchange 2010 (v14, 26 fields), UTF-8 BOM as the beats fixture
    w = World(20160405, utc(2016, 4, 5, 0, 0, 2))
    o = Out('MSGTRK20160405-1.LOG')
    o.bom = True
    for h in trk_header(V14, '14.0.0.0', w.t):
        o.add(h, shape='header')
    tr = Tracking(w, o, V14, 'EX2010', 'EX2010.contoso.example', '10.0.0.5', None)
    for _ in range(30):
        tracking_mix(tr)
    tr.st_outbound_multi()
    tr.st_outbound_defer(expire=True)
    tr.flush()
    outs.append(o)

    # ---- SMTP Receive protocol log: every refusal, AUTH failures, tarpits, interleaved
    w = World(20260106, utc(2026, 1, 5, 10, 0, 4))
    o = Out('RECV2026010510-1.LOG')
    for h in proto_header('Receive', w.t):
        o.add(h, shape='header')
    p = Protocol(w, 'EX01', '10.0.0.11')
    plans = list(range(len(RECV_REFUSALS))) + ['ok'] * 8 + ['auth_fail', 'auth_note_only'] * 2
    w.r.shuffle(plans)
    merge(o, [p.recv_session(x) for x in plans])
    outs.append(o)

    # ---- SMTP Send protocol log
    w = World(20260107, utc(2026, 1, 5, 10, 0, 9))
    o = Out('SEND2026010510-1.LOG')
    for h in proto_header('Send', w.t):
        o.add(h, shape='header')
    p = Protocol(w, 'EX01', '10.0.0.11')
    plans = ([('fail', i) for i in range(len(REMOTE_FAIL))] +
             [('defer', i) for i in range(len(REMOTE_DEFER))] +
             ['ok'] * 6 + ['noconnect'] * 2 + ['banner'])
    w.r.shuffle(plans)
    merge(o, [p.send_session(x) for x in plans])
    outs.append(o)

    # ---- Exchange Online: Get-MessageTraceV2 | Export-Csv (UTF-8 with BOM, PowerShell 5.1)
    w = World(20260108, utc(2026, 1, 5, 8, 0, 0))
    o = Out('MessageTrace-20260105.csv')
    o.bom = True
    o.add('#TYPE Deserialized.Microsoft.Exchange.Management.FfoReporting.MessageTraceV2',
          shape='#TYPE')
    o.add(','.join(q(c) for c in TRACE_HEADER), shape='header row')
    i = 0
    for status, n in TRACE_STATUSES:
        for _ in range(max(1, n // 4)):
            trace_row(w, o, i, status)
            i += 1
    outs.append(o)

    # ---- Exchange Online historical search, enhanced summary: UTF-16LE without BOM
    w = World(20260109, utc(2026, 1, 4, 0, 0, 0))
    o = Out('HistoricalSearch-enhanced-summary.csv')
    o.encoding = 'utf-16-le'
    o.add(','.join(SUMMARY_HEADER), shape='header row')
    for _ in range(24):
        summary_row(w, o)
    outs.append(o)
    return outs


SHAPES_INTRO = """# Exchange samples: shapes and oracle

Generated by `generate.py --samples samples/exchange/` (deterministic; do not edit by hand).
Everything is project-made in the shapes of `shared/docs/formats/exchange.md`; no corpus file
is copied. Line ends are CRLF as Windows writes them.

| file | writer | encoding | what it holds |
|---|---|---|---|
| `MSGTRK2026010510-1.LOG` | Exchange 2019 `EX01` (`#Version: 15.02`, 30 fields) | UTF-8 | every message story; every own and remote NDR text of the tables below; a header block repeated mid-file (service restart); a subject with line breaks (one record over three lines) |
| `MSGTRK20160405-1.LOG` | Exchange 2010 `EX2010` (`#Version: 14.0.0.0`, 26 fields) | UTF-8 with BOM | a random mix of stories |
| `RECV2026010510-1.LOG` | Receive connector `EX01\\Default Frontend EX01` | UTF-8 | interleaved sessions: pipelined commands, every refusal of the table below, AUTH failures (with and without a 535), tarpits |
| `SEND2026010510-1.LOG` | Send connector `Outbound to Internet` | UTF-8 | every remote refusal and deferral, connections that fail (Winsock), a 421 banner |
| `MessageTrace-20260105.csv` | `Get-MessageTraceV2 \\| Export-Csv` (Windows PowerShell) | UTF-8 with BOM | a `#TYPE` line, every Status; some `Received` in the en-US format (`1/5/2026 6:10:13 PM`) |
| `HistoricalSearch-enhanced-summary.csv` | EAC historical search, enhanced summary | UTF-16LE **without** BOM | `recipient_status` as `address##Receive, Event;...`, directionality 1/2 |

## Oracle rules (`expected-events.tsv`)

One row per event, ordered by file name, then line (1-based; for the UTF-16 file, lines of the
decoded text), then recipient order. A record over several lines yields its events at its first line.

- **Message tracking** (`queue_id` = internal-message-id; `client_ip` = the original client of
  the message's RECEIVE on this server, empty for mail submitted by no RECEIVE here; `sender` =
  return-path, empty for `<>`): one event per recipient of `FAIL` (bounce; `550 4.4.7
  QUEUE.Expired` -> expire), `DEFER` (defer), `DELIVER`/`SEND`/`SENDEXTERNAL` (deliver),
  `DROP` (discard), `AGENTINFO` with `action=RejectMessage`/`DeleteMessage`/`Quarantine`
  (reject/discard/hold; no code). `reply_code`/`status` come from that recipient's status.
  `directionality` Incoming -> inbound, Originating -> outbound. No event for `RECEIVE`, `DSN`,
  `EXPAND`, `REDIRECT`, `RESOLVE`, `NOTIFYMAPI`, `SUBMIT`, `HAREDIRECTFAIL`, `AGENTINFO` without
  a verdict, nor for the `FAIL` that echoes a transport rule's reject (the reject counted once).
- **Receive log**: our 4xx/5xx reply -> `reject`, inbound, stage of the command it answers
  (`connect` for the banner, `helo`, `mail`, `rcpt`, `data`, `eom` after 354); `client_ip` the
  remote endpoint; `sender` the session's MAIL FROM; `recipient` the refused RCPT, or the first
  accepted one at data/eom. `535` after AUTH -> stage helo. An `Inbound AUTH ... failed` note
  without a 535 is a reject at its own line with no code. Repeated identical lines count once.
- **Send log**: the remote's 5xx -> `bounce`, 4xx -> `defer`, outbound, stage of our command;
  `sender` our MAIL FROM; `Failed to connect` -> defer at connect with no code.
- **Message trace**: Delivered -> deliver, Failed -> bounce, FilteredAsSpam -> reject,
  Quarantined -> hold, Pending -> defer; Expanded and GettingStatus are no events. `queue_id` =
  MessageTraceId, `client_ip` = FromIP; inbound when the recipient is in the Organization's
  domain, outbound when the sender is.
- **Enhanced summary**: per recipient the last event of `address##Receive, ...`: Deliver/Send
  -> deliver, Fail -> bounce, Defer -> defer, Drop -> discard (Expand: none); `queue_id` =
  network_message_id, `client_ip` = original_client_ip, direction from 1/2.

"""


def write_samples(outdir):
    os.makedirs(outdir, exist_ok=True)
    outs = build_samples()
    rows, shapes = [], {}
    for o in sorted(outs, key=lambda o: o.name.encode()):
        enc = getattr(o, 'encoding', 'utf-8')
        data = ''.join(text.replace('\n', '\r\n') + '\r\n' for text, _, _ in o.records)
        raw = data.encode(enc)
        if getattr(o, 'bom', False):
            raw = b'\xef\xbb\xbf' + raw
        with open(os.path.join(outdir, o.name), 'wb') as f:
            f.write(raw)
        line = 1
        for text, evs, shape in o.records:
            for e in evs:
                rows.append((o.name, str(line)) + tuple(e))
            if shape:
                c = shapes.setdefault(shape, [0, 0, o.name, text.split('\n')[0]])
                c[0] += 1
                c[1] += len(evs)
            line += text.count('\n') + 1
        print('%-40s %5d lines' % (o.name, o.lines()), file=sys.stderr)
    with open(os.path.join(outdir, 'expected-events.tsv'), 'w', encoding='utf-8',
              newline='\n') as f:
        f.write('\t'.join(TSV_HEADER) + '\n')
        for r in rows:
            for cell in r:
                assert '\t' not in cell and '\n' not in cell, r
            f.write('\t'.join(r) + '\n')
    with open(os.path.join(outdir, 'golden.args'), 'w', encoding='utf-8', newline='\n') as f:
        f.write(' '.join(o.name for o in outs) + '\n')
    write_shapes(os.path.join(outdir, 'SHAPES.md'), shapes, rows)
    print('expected-events.tsv %d events' % len(rows), file=sys.stderr)
    return 0


def md(s):
    s = s if len(s) <= 150 else s[:147] + '...'
    return s.replace('|', '\\|').replace('`', "'")


def write_shapes(path, shapes, rows):
    out = [SHAPES_INTRO, '## Record shapes (generated counts)\n',
           '| shape | records | events | first in | example |', '|---|--:|--:|---|---|']
    for name in sorted(shapes):
        n, e, fname, ex = shapes[name]
        out.append('| %s | %d | %d | `%s` | `%s` |' % (md(name), n, e, fname, md(ex)))
    out.append('')
    out.append('## Oracle totals\n')
    out.append('| kind | direction | events |')
    out.append('|---|---|--:|')
    tot = {}
    for r in rows:
        tot[(r[2], r[3])] = tot.get((r[2], r[3]), 0) + 1
    for k in sorted(tot):
        out.append('| %s | %s | %d |' % (k[0], k[1], tot[k]))
    out.append('| **all** | | %d |' % len(rows))
    out.append('')
    out.append('## Reply texts used\n')
    out.append('Own server, message tracking FAIL/DEFER (inbound):\n')
    out += ['- `%s %s %s`' % t for t in OWN_FAIL + OWN_DEFER]
    out.append('\nRemote servers, message tracking FAIL via SMTP and Send logs (outbound):\n')
    out += ['- `%s %s %s`' % t for t in REMOTE_FAIL + REMOTE_DEFER + [EXPIRED]]
    out.append('\nOur Receive connectors (inbound, with the refused command):\n')
    out += ['- %s: `%s %s %s`' % t for t in RECV_REFUSALS]
    out.append('- helo (AUTH): `535 5.7.3 Authentication unsuccessful`, notes `%s`'
               % '`, `'.join(sorted(set(AUTH_NOTES))))
    out.append('- agent verdicts: `Transport Rule Agent` `action=RejectMessage` (NDR text `%s %s %s`), '
               '`Content Filter Agent` `action=DeleteMessage` / `action=Quarantine`, `DROP`'
               % TRANSPORT_RULE_NDR)
    out.append('')
    with open(path, 'w', encoding='utf-8', newline='\n') as f:
        f.write('\n'.join(out))


# --------------------------------------------------------------------------
# benchmark logs
# --------------------------------------------------------------------------
def bench(n, seed, kind, start, path, encoding):
    w = World(seed, start)
    with open(path, 'wb') as f:
        enc = 'utf-16-le' if encoding == 'utf-16le' else 'utf-8'
        st = Stream(f, n, enc)
        if kind == 'msgtrk':
            for h in trk_header(V15, '15.02.1544.004', w.t):
                if not st.add(h):
                    return
            tr = Tracking(w, st, V15, 'EX01', 'EX01.contoso.example', '10.0.0.11', '15.02.1544.004')
            while True:
                tracking_mix(tr)
                if not tr.flush(w.t - 900 * 1000000):
                    return
        elif kind in ('recv', 'send'):
            for h in proto_header('Receive' if kind == 'recv' else 'Send', w.t):
                if not st.add(h):
                    return
            p = Protocol(w, 'EX01', '10.0.0.11')
            window = []
            while True:
                # a few sessions at a time, interleaved by time
                for _ in range(8):
                    if kind == 'recv':
                        x = w.r.random()
                        plan = ('ok' if x < 0.55 else 'auth_fail' if x < 0.62 else
                                'auth_note_only' if x < 0.65 else
                                w.r.randrange(len(RECV_REFUSALS)))
                        window.append(p.recv_session(plan))
                    else:
                        x = w.r.random()
                        plan = ('ok' if x < 0.6 else 'noconnect' if x < 0.65 else
                                'banner' if x < 0.67 else
                                ('fail', w.r.randrange(len(REMOTE_FAIL))) if x < 0.85 else
                                ('defer', w.r.randrange(len(REMOTE_DEFER))))
                        window.append(p.send_session(plan))
                items = []
                for i, s in enumerate(window):
                    for t, k, text, evs, shape in s.items:
                        items.append((t, i, k, text))
                items.sort()
                for _, _, _, text in items:
                    if not st.add(text):
                        return
                window = []
        else:
            if not st.add('#TYPE Deserialized.Microsoft.Exchange.Management.FfoReporting.'
                          'MessageTraceV2'):
                return
            if not st.add(','.join(q(c) for c in TRACE_HEADER)):
                return
            statuses = [s for s, k in TRACE_STATUSES for _ in range(k)]
            i = 0
            while trace_row(w, st, i, w.r.choice(statuses)):
                i += 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--samples', metavar='DIR', help='write the committed samples into DIR')
    ap.add_argument('--lines', type=int, help='benchmark: lines to write')
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--kind', choices=('msgtrk', 'recv', 'send', 'trace'), default='msgtrk')
    ap.add_argument('--encoding', choices=('utf-8', 'utf-16le'), default='utf-8')
    ap.add_argument('--start', default='2026-03-02', help='benchmark: first day (UTC)')
    ap.add_argument('-o', dest='output', help='benchmark: output file')
    a = ap.parse_args()
    if a.samples:
        return write_samples(a.samples)
    if a.lines is None or not a.output:
        ap.error('give --samples DIR, or --lines N -o FILE')
    y, m, d = (int(x) for x in a.start.split('-'))
    bench(a.lines, a.seed, a.kind, utc(y, m, d), a.output, a.encoding)
    return 0


if __name__ == '__main__':
    sys.exit(main())
