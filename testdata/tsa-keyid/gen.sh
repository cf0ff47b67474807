#!/bin/sh
# Makes token.der: an RFC 3161 time-stamp token over message.txt whose
# signer is named by subject key identifier (CMS SignerInfo version 3),
# made with OpenSSL alone (not navette's code nor its libraries): a CA
# (root.pem), a time-stamping certificate it issues, a TSTInfo from
# `openssl ts -reply`, signed again by `openssl cms -sign -keyid -cades`
# (signing-certificate-v2 attribute). Run in an empty directory.
set -eu
printf 'navette.test/navette-journal\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n' > message.txt
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout root.key -out root.pem \
  -days 36500 -subj '/O=navette tests/CN=OpenSSL test TSA root' \
  -addext 'basicConstraints=critical,CA:TRUE' -addext 'keyUsage=critical,keyCertSign' \
  -addext 'subjectKeyIdentifier=hash'
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout tsa.key -out tsa.csr \
  -subj '/O=navette tests/CN=OpenSSL test TSA'
printf 'extendedKeyUsage=critical,timeStamping\nkeyUsage=critical,digitalSignature\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n' > tsa.ext
openssl x509 -req -in tsa.csr -CA root.pem -CAkey root.key -set_serial 7 -days 36500 -extfile tsa.ext -out tsa.pem
cat > ts.cnf <<'CNF'
[ tsa ]
default_tsa = tsa_config
[ tsa_config ]
serial = ./serial
signer_digest = sha256
default_policy = 1.3.6.1.4.1.99999.3161.2
digests = sha256
accuracy = secs:1
ess_cert_id_alg = sha256
CNF
echo 01 > serial
openssl ts -query -data message.txt -sha256 -cert -no_nonce -out query.tsq
openssl ts -reply -config ts.cnf -queryfile query.tsq -signer tsa.pem -inkey tsa.key -token_out -out v1.der
openssl cms -verify -noverify -inform DER -in v1.der -binary -out tstinfo.der
openssl cms -sign -binary -nodetach -keyid -cades -nosmimecap -md sha256 \
  -econtent_type 1.2.840.113549.1.9.16.1.4 -signer tsa.pem -inkey tsa.key \
  -in tstinfo.der -outform DER -out token.der
rm -f root.key tsa.key tsa.csr tsa.ext ts.cnf serial query.tsq v1.der tstinfo.der tsa.pem
