"""The whole local Fiks setup in one call: RabbitMQ, the Fiks IO stand-in, the archive stand-in, keys and
both accounts' configurations. Used by the delivery tests and by ``python -m tests.fiks.demo``."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from pydantic import SecretStr

from delivery.config import FiksConfig, queue_name
from delivery.messages import Schemas
from tests.fiks.archive import ArchiveStandIn
from tests.fiks.certs import KeyPair, make_keypair
from tests.fiks.fiksio_server import Account, FiksIOStandIn
from tests.fiks.rabbitmq import BrokerUser, RabbitMQ


def _uuid() -> str:
    return str(uuid.uuid4())


@dataclass(frozen=True)
class Identities:
    """Random accounts, integrations and secrets of one environment (nothing reused between runs)."""

    token: str = field(default_factory=lambda: "maskinporten-token-" + uuid.uuid4().hex)
    sa_account: str = field(default_factory=_uuid)
    arkiv_account: str = field(default_factory=_uuid)
    sa_integration: str = field(default_factory=_uuid)
    arkiv_integration: str = field(default_factory=_uuid)
    sa_password: str = field(default_factory=lambda: "sa-" + uuid.uuid4().hex)
    arkiv_password: str = field(default_factory=lambda: "arkiv-" + uuid.uuid4().hex)
    admin: str = "fiksio-admin"
    admin_password: str = field(default_factory=lambda: uuid.uuid4().hex)


@dataclass
class Environment:
    ids: Identities
    broker: RabbitMQ
    fiks_io: FiksIOStandIn
    archive: ArchiveStandIn
    sa: KeyPair
    arkiv: KeyPair
    config: FiksConfig  # somearkiv's account
    schemas: Schemas

    def settings_env(self) -> dict[str, str]:
        """``SOMEARKIV_FIKS_*`` for somearkiv's account (what an operator would set)."""
        values = {
            "BASE_URL": self.fiks_io.base_url, "AMQP_URL": self.broker.url, "ACCOUNT_ID": self.ids.sa_account,
            "INTEGRATION_ID": self.ids.sa_integration, "INTEGRATION_PASSWORD": self.ids.sa_password,
            "TOKEN": self.ids.token, "RECEIVER_ACCOUNT": self.ids.arkiv_account,
            "PRIVATE_KEY": str(self.sa.key_path), "SIGNING_CERTIFICATE": str(self.sa.certificate_path),
            "SIGNING_KEY": str(self.sa.key_path),
        }  # fmt: skip
        return {f"SOMEARKIV_FIKS_{name}": value for name, value in values.items()}

    def stop(self) -> None:
        self.archive.stop()
        self.fiks_io.stop()
        self.broker.stop()


def start(folder: Path, xsd_dir: Path, *, ids: Identities | None = None, timeout: timedelta) -> Environment:
    """Start everything under ``folder``; ``timeout`` is somearkiv's receipt timeout."""
    ids = ids or Identities()
    sa, arkiv = make_keypair(folder / "keys", "somearkiv"), make_keypair(folder / "keys", "arkiv")
    sa_queue, arkiv_queue = queue_name(uuid.UUID(ids.sa_account)), queue_name(uuid.UUID(ids.arkiv_account))
    broker = RabbitMQ(
        folder / "rabbitmq",
        users=[
            BrokerUser(ids.admin, ids.admin_password),
            BrokerUser(ids.sa_integration, f"{ids.sa_password} {ids.token}", sa_queue),
            BrokerUser(ids.arkiv_integration, f"{ids.arkiv_password} {ids.token}", arkiv_queue),
        ],
        queues=[sa_queue, arkiv_queue],
    )
    broker.start()
    try:
        fiks_io = FiksIOStandIn(
            amqp_url=broker.url,
            admin_user=ids.admin,
            admin_password=ids.admin_password,
            token=ids.token,
            accounts={
                ids.sa_account: Account(ids.sa_account, ids.sa_integration, ids.sa_password, sa.pem),
                ids.arkiv_account: Account(ids.arkiv_account, ids.arkiv_integration, ids.arkiv_password, arkiv.pem),
            },
        ).start()
    except BaseException:
        broker.stop()
        raise
    schemas = Schemas(xsd_dir)
    common = dict(base_url=fiks_io.base_url, amqp_url=broker.url, token=SecretStr(ids.token), receipt_timeout=timeout)
    config = FiksConfig(
        account_id=uuid.UUID(ids.sa_account),
        integration_id=uuid.UUID(ids.sa_integration),
        integration_password=SecretStr(ids.sa_password),
        receiver_account=uuid.UUID(ids.arkiv_account),
        receiver_certificate=arkiv.certificate_path,
        private_key=sa.key_path,
        **common,  # type: ignore[arg-type]
    )
    archive_config = FiksConfig(
        account_id=uuid.UUID(ids.arkiv_account),
        integration_id=uuid.UUID(ids.arkiv_integration),
        integration_password=SecretStr(ids.arkiv_password),
        receiver_account=uuid.UUID(ids.sa_account),
        receiver_certificate=None,  # from the Fiks IO catalogue, as a real archive does
        private_key=arkiv.key_path,
        **common,  # type: ignore[arg-type]
    )
    try:
        archive = ArchiveStandIn(archive_config, schemas).start()
    except BaseException:
        fiks_io.stop()
        broker.stop()
        raise
    return Environment(ids, broker, fiks_io, archive, sa, arkiv, config, schemas)
