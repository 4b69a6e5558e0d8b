#!/usr/bin/env python3
"""Writes keywords.txt: every keyword keepalived accepts, by block, read from its source.

Usage: keywords_from_source.py KEEPALIVED_SRC_DIR > keywords.txt
(KEEPALIVED_SRC_DIR: `git archive v2.2.7 keepalived lib | tar -x` of acassen/keepalived.)

keepalived registers its grammar with install_keyword_root / install_keyword /
install_sublevel / install_sublevel_end calls made from init_*_keywords(); this replays
those calls (following the install_*/init_*/add_* helpers they call, with a string
argument substituted for `keyword`) and prints one line per keyword:
  BLOCK-PATH <TAB> SAMPLE
BLOCK-PATH is the enclosing blocks ("-" at the top level); SAMPLE is a statement gale's
test (tests/unit/ctl/keywords_test.cc) writes in that block: the keyword, with a value
from SAMPLES where gale parses one ("\\n" separates lines).
"""
import glob
import re
import sys

# Values for the keywords gale parses (the others are accepted unread, with a warning).
SAMPLES = {
    '- global_defs': 'global_defs {\\n}',
    '- virtual_server': 'virtual_server 192.0.2.9 81 {\\n}',
    '- virtual_server_group': 'virtual_server_group G9 {\\n192.0.2.20-22 80\\n}',
    '- vrrp_script': 'vrrp_script chk9 {\\nscript /bin/true\\n}',
    '- vrrp_instance': 'vrrp_instance VI_9 {\\ninterface eth0\\nvirtual_router_id 9\\n}',
    '- vrrp_sync_group': 'vrrp_sync_group SG9 {\\ngroup {\\nVI_1\\n}\\n}',
    'global_defs router_id': 'router_id lb1',
    'global_defs script_user': 'script_user root',
    'global_defs vrrp_version': 'vrrp_version 3',
    'global_defs lvs_timeouts': 'lvs_timeouts tcp 900 tcpfin 120 udp 300',
    'virtual_server delay_loop': 'delay_loop 6',
    'virtual_server lb_algo': 'lb_algo wrr',
    'virtual_server lvs_sched': 'lvs_sched wlc',
    'virtual_server lb_kind': 'lb_kind NAT',
    'virtual_server lvs_method': 'lvs_method DR',
    'virtual_server persistence_timeout': 'persistence_timeout 50',
    'virtual_server persistence_granularity': 'persistence_granularity 255.255.255.0',
    'virtual_server protocol': 'protocol TCP',
    'virtual_server quorum': 'quorum 1',
    'virtual_server hysteresis': 'hysteresis 0',
    'virtual_server quorum_up': 'quorum_up /bin/true',
    'virtual_server quorum_down': 'quorum_down /bin/true',
    'virtual_server sorry_server': 'sorry_server 192.0.2.50 80',
    'virtual_server sorry_server_lvs_method': 'sorry_server_lvs_method NAT',
    'virtual_server virtualhost': 'virtualhost www.example.com',
    'virtual_server real_server': 'real_server 192.0.2.3 80 {\\n}',
    'virtual_server real_server weight': 'weight 2',
    'virtual_server real_server lvs_method': 'lvs_method NAT',
    'virtual_server real_server uthreshold': 'uthreshold 100',
    'virtual_server real_server lthreshold': 'lthreshold 10',
    'virtual_server real_server notify_up': 'notify_up /bin/true',
    'virtual_server real_server notify_down': 'notify_down "/bin/echo down"',
    'virtual_server real_server delay_loop': 'delay_loop 5',
    'virtual_server real_server virtualhost': 'virtualhost www.example.com',
    'virtual_server real_server HTTP_GET': 'HTTP_GET {\\nurl {\\npath /\\n}\\n}',
    'virtual_server real_server SSL_GET': 'SSL_GET {\\nurl {\\npath /\\n}\\n}',
    'virtual_server real_server MISC_CHECK': 'MISC_CHECK {\\nmisc_path /bin/true\\n}',
    'virtual_server real_server TCP_CHECK': 'TCP_CHECK {\\n}',
    'virtual_server real_server UDP_CHECK': 'UDP_CHECK {\\n}',
    'virtual_server real_server DNS_CHECK': 'DNS_CHECK {\\n}',
    'virtual_server real_server SMTP_CHECK': 'SMTP_CHECK {\\n}',
    'virtual_server retry': 'retry 2', 'virtual_server real_server retry': 'retry 4',
    'virtual_server delay_before_retry': 'delay_before_retry 2',
    'virtual_server real_server delay_before_retry': 'delay_before_retry 1',
    'virtual_server warmup': 'warmup 4', 'virtual_server real_server warmup': 'warmup 3',
    'virtual_server connect_timeout': 'connect_timeout 4',
    'virtual_server real_server connect_timeout': 'connect_timeout 2',
    'virtual_server sh-port': 'sh-port\\nlb_algo sh',
    'virtual_server sh-fallback': 'sh-fallback\\nlb_algo sh',
    'virtual_server mh-port': 'mh-port\\nlb_algo mh',
    'virtual_server mh-fallback': 'mh-fallback\\nlb_algo mh',
    'vrrp_script weight': 'weight -10',
}
CHECKER = {
    'connect_ip': 'connect_ip 192.0.2.3', 'connect_port': 'connect_port 80',
    'bindto': 'bindto 192.0.2.1', 'bind_port': 'bind_port 5000',
    'connect_timeout': 'connect_timeout 3', 'retry': 'retry 3', 'nb_get_retry': 'nb_get_retry 3',
    'delay_before_retry': 'delay_before_retry 2', 'warmup': 'warmup 5', 'delay_loop': 'delay_loop 6',
    'virtualhost': 'virtualhost www.example.com', 'url': 'url {\\npath /health\\n}',
    'path': 'path /', 'digest': 'digest 9b3a0c85a887a256d6939da88aabd8cd',
    'status_code': 'status_code 200-299', 'misc_path': 'misc_path "/bin/check 1"',
    'misc_timeout': 'misc_timeout 5', 'user': 'user nobody', 'payload': 'payload 0102',
    'type': 'type A', 'name': 'name example.com', 'script': 'script /bin/true',
    'interval': 'interval 2', 'timeout': 'timeout 2', 'rise': 'rise 2', 'fall': 'fall 2',
    'state': 'state BACKUP', 'interface': 'interface eth1', 'virtual_router_id': 'virtual_router_id 52',
    'priority': 'priority 100', 'advert_int': 'advert_int 1', 'version': 'version 2',
    'preempt_delay': 'preempt_delay 10', 'auth_type': 'auth_type PASS', 'auth_pass': 'auth_pass secret',
    'authentication': 'authentication {\\nauth_type AH\\n}',
    'virtual_ipaddress': 'virtual_ipaddress {\\n192.0.2.1/24 dev eth0 brd 192.0.2.255 scope global\\n}',
    'virtual_ipaddress_excluded': 'virtual_ipaddress_excluded {\\n2001:db8::1/64\\n}',
    'track_script': 'track_script {\\nchk1 weight 5\\n}', 'track_interface': 'track_interface {\\neth1\\n}',
    'unicast_src_ip': 'unicast_src_ip 192.0.2.5', 'unicast_peer': 'unicast_peer {\\n192.0.2.6\\n}',
    'group': 'group {\\nVI_1\\n}',
    'notify_master': 'notify_master /bin/true', 'notify_backup': 'notify_backup /bin/true',
    'notify_fault': 'notify_fault "/bin/echo fault"', 'notify': 'notify /bin/true',
    'notify_stop': 'notify_stop /bin/true',
    'helo_name': 'helo_name mail.example.com', 'host': 'host {\\n}', 'bind_if': 'bind_if eth0',
    'fwmark': 'fwmark 1', 'http_protocol': 'http_protocol 1.1',
    'min_reply_length': 'min_reply_length 1', 'max_reply_length': 'max_reply_length 100',
}
WITH_VALUE_PARENTS = ('virtual_server real_server ', 'vrrp_script', 'vrrp_instance', 'vrrp_sync_group')


def replay(src):
    funcs = {}
    for f in glob.glob(src + '/**/*.c', recursive=True):
        text = open(f, errors='replace').read()
        for m in re.finditer(r'^([A-Za-z_]\w*)\(([^)]*)\)\s*\n\{(.*?)^\}', text, re.M | re.S):
            funcs.setdefault(m.group(1), m.group(3))
    out, path, level = [], [None] * 10, [0]

    def run(name, arg):
        for line in funcs[name].split('\n'):
            s = line.strip().replace('install_keyword_conditional(', 'install_keyword(')
            s = re.sub(r'^if \([^)]*\)\s*', '', s)
            if arg:
                s = s.replace('install_keyword(keyword,', 'install_keyword("%s",' % arg)
            m = re.match(r'install_keyword_root\("([^"]+)"', s)
            if m:
                path[0], level[0] = m.group(1), 0
                out.append(((), m.group(1)))
                continue
            m = re.match(r'install_keyword\("([^"]+)"', s)
            if m:
                out.append((tuple(path[:level[0] + 1]), m.group(1)))
                path[level[0] + 1] = m.group(1)
                continue
            if s.startswith('install_sublevel()'):
                level[0] += 1
            elif s.startswith('install_sublevel_end()'):
                level[0] -= 1
            else:
                m = re.match(r'(\w+)\((?:"([^"]*)")?', s)
                if m and m.group(1) in funcs and m.group(1) != name and \
                        m.group(1).startswith(('install_', 'init_', 'add_')):
                    run(m.group(1), m.group(2))

    for root in ('add_track_file_keywords', 'init_global_keywords', 'init_vrrp_keywords',
                 'init_check_keywords', 'init_bfd_keywords'):
        level[0] = 0
        run(root, None)
    return out


# gale's own keywords in keepalived's blocks (keepalived does not know them), printed
# after keepalived's under GALE_OWN_HEADER: the test marks them gale's own in the table.
# Their samples must be valid in the test's NAT virtual_server (no FULLNAT there), so
# they say "off".
GALE_OWN_HEADER = "# gale's own keywords (not keepalived's)"
GALE_OWN = [
    ('virtual_server', 'proxy_protocol none'),
    ('virtual_server', 'toa off'),
    ('virtual_server real_server', 'proxy_protocol none'),
    ('virtual_server real_server', 'toa off'),
]


def main():
    seen = set()
    print('# keepalived 2.2.7 keywords by block, from tests/keepalived/keywords_from_source.py')
    for parent, kw in replay(sys.argv[1]):
        block = ' '.join(parent) if parent else '-'
        if (block, kw) in seen:
            continue
        seen.add((block, kw))
        key = block + ' ' + kw
        sample = SAMPLES.get(key)
        if sample is None and (block.startswith(WITH_VALUE_PARENTS) or block.endswith('url')):
            sample = CHECKER.get(kw)
        print(block + '\t' + (sample or kw))
    print(GALE_OWN_HEADER)
    for block, sample in GALE_OWN:
        print(block + '\t' + sample)


main()
