"""What the sweep removes from a machine's iptables, read from real listings' shapes."""

from __future__ import annotations

import pytest

from kairflow.localcluster.node_sweep import cni_nat_rules, kube_chains

# `iptables -t nat -S` after two pods on our bridge, with another CNI network's rule
# and the host's own masquerade rule next to them.
NAT = """-P PREROUTING ACCEPT
-P POSTROUTING ACCEPT
-N CNI-1111
-N CNI-2222
-N CNI-9999
-N KUBE-SERVICES
-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING
-A POSTROUTING -s 10.88.0.2/32 -m comment --comment "name: \\"kairflow\\" id: \\"abc\\"" -j CNI-1111
-A POSTROUTING -s 10.88.0.3/32 -m comment --comment "name: \\"kairflow\\" id: \\"def\\"" -j CNI-2222
-A POSTROUTING -s 10.22.0.2/32 -m comment --comment "name: \\"other\\" id: \\"x\\"" -j CNI-9999
-A POSTROUTING -o eth0 -j MASQUERADE
-A CNI-1111 -d 10.88.0.0/16 -j ACCEPT"""


def test_the_sweep_deletes_only_our_networks_masquerade_rules_and_their_chains() -> None:
    rules, chains = cni_nat_rules(NAT)
    assert chains == {"CNI-1111", "CNI-2222"}
    assert rules[0] == [
        "-D",
        "POSTROUTING",
        "-s",
        "10.88.0.2/32",
        "-m",
        "comment",
        "--comment",
        'name: "kairflow" id: "abc"',
        "-j",
        "CNI-1111",
    ]
    assert len(rules) == 2


@pytest.mark.parametrize(
    "listing, expected",
    [
        pytest.param(NAT, ["KUBE-SERVICES"], id="kube-proxy's chains are found"),
        pytest.param("-P INPUT ACCEPT\n-N DOCKER\n", [], id="other tools' chains are left alone"),
        pytest.param("", [], id="an empty table has none"),
    ],
)
def test_kubernetes_chains_are_found_by_name(listing: str, expected: list[str]) -> None:
    assert kube_chains(listing) == expected
