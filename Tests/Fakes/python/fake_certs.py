"""Throwaway TLS certificates for the in-repo HTTPS fakes (azure, gcp, pagerduty): a CA and a
server certificate it signs, for 127.0.0.1 and localhost, valid for 7 days. The CA key is deleted
once the server certificate is signed, so nothing else can be issued under the CA. Made with the
`openssl` command line, or the `cryptography` package when `openssl` is absent.

make_certificates(cert_dir, ca_name) -> (ca.pem, server.pem, server.key) paths in cert_dir.
"""

import datetime as dt
import os
import shutil
import subprocess


def make_certificates(cert_dir, ca_name):
    os.makedirs(cert_dir, exist_ok=True)
    ca_pem = os.path.join(cert_dir, "ca.pem")
    ca_key = os.path.join(cert_dir, "ca.key")
    srv_pem = os.path.join(cert_dir, "server.pem")
    srv_key = os.path.join(cert_dir, "server.key")
    if shutil.which("openssl"):
        _certs_openssl(cert_dir, ca_name, ca_pem, ca_key, srv_pem, srv_key)
    else:
        _certs_cryptography(ca_name, ca_pem, srv_pem, srv_key)
    if os.path.exists(ca_key):
        os.remove(ca_key)
    return ca_pem, srv_pem, srv_key


def _certs_openssl(cert_dir, ca_name, ca_pem, ca_key, srv_pem, srv_key):
    def run(*args):
        subprocess.run(["openssl", *args], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", ca_key, "-out", ca_pem,
        "-days", "7", "-subj", "/CN=" + ca_name,
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        "-addext", "subjectKeyIdentifier=hash")
    csr = os.path.join(cert_dir, "server.csr")
    run("req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", srv_key, "-out", csr,
        "-subj", "/CN=127.0.0.1")
    ext = os.path.join(cert_dir, "server.ext")
    with open(ext, "w") as f:
        f.write("basicConstraints=critical,CA:FALSE\n"
                "keyUsage=critical,digitalSignature,keyEncipherment\n"
                "extendedKeyUsage=serverAuth\n"
                "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
                "subjectKeyIdentifier=hash\n"
                "authorityKeyIdentifier=keyid,issuer\n")
    run("x509", "-req", "-in", csr, "-CA", ca_pem, "-CAkey", ca_key, "-set_serial",
        str(int.from_bytes(os.urandom(8), "big")), "-out", srv_pem, "-days", "7", "-sha256",
        "-extfile", ext)
    for p in (csr, ext):
        os.remove(p)


def _certs_cryptography(ca_name_text, ca_pem, srv_pem, srv_key):
    import ipaddress
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    start = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=5)
    end = start + dt.timedelta(days=7)
    ca_k = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, ca_name_text)])
    ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_k.public_key())
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
          .public_key(ca_k.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(start).not_valid_after(end)
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False,
                                       key_encipherment=False, data_encipherment=False,
                                       key_agreement=False, key_cert_sign=True, crl_sign=True,
                                       encipher_only=False, decipher_only=False), critical=True)
          .add_extension(ca_ski, critical=False)
          .sign(ca_k, hashes.SHA256()))
    k = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
            .issuer_name(ca_name).public_key(k.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(end)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False,
                                         key_encipherment=True, data_encipherment=False,
                                         key_agreement=False, key_cert_sign=False, crl_sign=False,
                                         encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.SubjectAlternativeName([
                x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]),
                critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(k.public_key()), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski),
                           critical=False)
            .sign(ca_k, hashes.SHA256()))
    with open(ca_pem, "wb") as f:
        f.write(ca.public_bytes(serialization.Encoding.PEM))
    with open(srv_pem, "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    fd = os.open(srv_key, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()))
