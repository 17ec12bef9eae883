# -*- coding: utf-8 -*-
# Copyright: contributors to aws_efs.transit
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a host's efs-utils.conf says about TLS, read the way the helper reads it.

The helper takes stunnel_cafile and dns_name_suffix from [mount.<region>] when that section
exists (and then never from [mount] for the CA: a region section without stunnel_cafile means the
default CA file), and hostname checking, OCSP and FIPS from [mount] only. [DEFAULT] backs every
section, as in ConfigParser.
"""

from __future__ import annotations

from ansible_collections.aws_efs.transit.plugins.module_utils._efs_utils_conf import ini_bool as _bool
from ansible_collections.aws_efs.transit.plugins.module_utils._efs_utils_conf import mount_section, mount_value

DEFAULT_CA_FILE = "/etc/amazon/efs/efs-utils.crt"


def tls_settings(sections, region=None, exists=True, path=None):
    """{section, region, check_hostname, ocsp, fips, ca_file, dns_name_suffix, ...} from parsed sections.

    sections: {section name: {lower-cased key: value}}; region: the host's region when known
    (else the [mount] region key).
    """
    sections = sections or {}
    region = region or mount_value(sections, "region")
    ca_file = mount_value(sections, "stunnel_cafile", region) or DEFAULT_CA_FILE
    return {
        "path": path,
        "exists": bool(exists),
        "region": region,
        "section": mount_section(sections, region),
        "check_hostname": _bool(mount_value(sections, "stunnel_check_cert_hostname"), True),
        "ocsp": _bool(mount_value(sections, "stunnel_check_cert_validity"), False),
        "fips": _bool(mount_value(sections, "fips_mode_enabled"), False),
        "ca_file": ca_file,
        "dns_name_suffix": mount_value(sections, "dns_name_suffix", region, fallback=True),
    }


def settings_problems(settings):
    """Reasons the host's configuration weakens TLS (empty when none)."""
    problems = []
    if not settings["check_hostname"]:
        problems.append(
            "efs-utils.conf turns stunnel host name checking off (stunnel_check_cert_hostname in [mount]): "
            "a certificate for any host name is accepted"
        )
    return problems
