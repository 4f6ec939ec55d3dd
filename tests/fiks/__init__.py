"""Local stand-ins for KS Fiks IO and a municipality's archive system, for the delivery tests.

- :mod:`tests.fiks.rabbitmq`: a private RabbitMQ node from Debian's ``rabbitmq-server`` on free ports.
- :mod:`tests.fiks.fiksio_server`: the Fiks IO send endpoint and the public-key catalogue over HTTP on
  127.0.0.1; it publishes what it accepts to the receiver's queue ``fiksio.konto.<id>``.
- :mod:`tests.fiks.archive`: the receiving archive: decrypts, validates the arkivmelding against KS's XSD and
  answers mottatt + kvittering (numbers assigned), or a feilmelding.
- :mod:`tests.fiks.certs`: throwaway certificates and keys.
"""
