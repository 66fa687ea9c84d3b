"""Broker accounts: who may connect to the MQTT broker and which topics each one may use.

Built on Mosquitto's dynamic security plugin: ``bootstrap`` writes a new broker's files with
its first accounts (admin, central, optionally edges); ``BrokerAccounts`` creates, rotates,
disables and deletes accounts on the running broker through ``DynsecControl``; ``roles`` derives
every rule from the contract's topics.
"""

from gridwatch_central.broker_accounts.bootstrap import (
    BrokerInit,
    BrokerInitError,
    InitResult,
    init_broker,
)
from gridwatch_central.broker_accounts.control import BrokerAccountError, DynsecControl
from gridwatch_central.broker_accounts.credentials import Credentials, generate_password
from gridwatch_central.broker_accounts.mosquitto_conf import (
    BrokerLayout,
    TlsListener,
    broker_packet_limit,
    find_dynsec_plugin,
    render_mosquitto_conf,
)
from gridwatch_central.broker_accounts.roles import AccountPlan
from gridwatch_central.broker_accounts.service import BrokerAccounts

__all__ = [
    "AccountPlan",
    "BrokerAccountError",
    "BrokerAccounts",
    "BrokerInit",
    "BrokerInitError",
    "BrokerLayout",
    "Credentials",
    "DynsecControl",
    "InitResult",
    "TlsListener",
    "broker_packet_limit",
    "find_dynsec_plugin",
    "generate_password",
    "init_broker",
    "render_mosquitto_conf",
]
