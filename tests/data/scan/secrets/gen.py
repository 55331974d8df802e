#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Regenerates the secret-rule fixtures: obviously fake, pattern-valid tokens, one per line,
and expected.tsv (file, then rule@Lline for every expected finding). Run from this folder."""
import base64

A = "FAKE0123456789abcdefFAKE0123456789abcdefFAKE0123456789abcdefFAKE0123456789abcdefFAKE0123456789abcdef"
HEX = "0123456789abcdef" * 8
AN = "FakeToken0123456789FakeToken0123456789FakeToken0123456789FakeToken0123456789FakeToken0123456789" * 3
B32 = "abcdefghijklmnopqrstuvwxyz234567" * 3

positives = [
    ("aws-access-key-id", "export AWS_ACCESS_KEY_ID=AKIA" + "FAKE" * 4),
    ("aws-secret-access-key", "aws_secret_access_key = " + ("Fake/Secret+Key0" * 3)[:40]),
    ("github-pat", "token: ghp_" + AN[:36]),
    ("github-oauth", "oauth gho_" + AN[:36]),
    ("github-app-token", "app ghs_" + AN[:36]),
    ("github-refresh-token", "refresh ghr_" + AN[:76]),
    ("github-fine-grained-pat", "pat github_pat_" + AN[:22] + "_" + AN[:59]),
    ("gitlab-pat", "gl glpat-" + AN[:20]),
    ("gitlab-runner-token", "runner glrt-" + AN[:20]),
    ("gcp-api-key", "key AIza" + AN[:35]),
    ("azure-storage-account-key", "DefaultEndpointsProtocol=https;AccountName=fake;AccountKey=" + (AN[:86]) + "==;"),
    ("azure-devops-pat", "ado_token = " + B32[:52]),
    ("azure-app-config-connection-string", "Endpoint=https://fake.azconfig.io;Id=abcd;Secret=" + AN[:40]),
    ("alibaba-access-key-id", "ali LTAI" + AN[:20] + " end"),
    ("digitalocean-token", "do dop_v1_" + HEX[:64]),
    ("heroku-api-key", "heroku_api_key = '01234567-89ab-cdef-0123-456789abcdef'"),
    ("databricks-api-token", "db dapi" + "abcdef0123456789" * 2),
    ("hashicorp-vault-token", "VAULT hvs." + AN[:30]),
    ("pulumi-api-token", "pulumi pul-" + HEX[:40]),
    ("hugging-face-access-token", "hf hf_" + AN[:36]),
    ("openai-legacy-api-key", "openai sk-" + AN[:20] + "T3BlbkFJ" + AN[:20]),
    ("openai-project-api-key", "openai sk-proj-" + AN[:30] + "T3BlbkFJ" + AN[:30]),
    ("anthropic-api-key", "claude sk-ant-api03-" + AN[:93] + "AA"),
    ("slack-access-token", "slack xoxb-" + "1234567890-" + AN[:24]),
    ("slack-web-hook", "hook https://hooks.slack.com/services/" + "T00000000/B00000000/" + AN[:24]),
    ("discord-webhook", "https://discord.com/api/webhooks/123456789012345678/" + AN[:68]),
    ("telegram-bot-token", "bot 123456789:AA" + AN[:33]),
    ("twilio-api-key", "twilio SK" + HEX[:32]),
    ("sendgrid-api-token", "sg SG." + AN[:22] + "." + AN[:43]),
    ("mailgun-token", "mailgun_key = 'key-" + HEX[:32] + "'"),
    ("atlassian-api-token", "jira_token = '" + "abcdefghijklmnop01234567" + "'"),
    ("shopify-token", "shop shpat_" + HEX[:32]),
    ("square-access-token", "square sq0atp-" + AN[:22]),
    ("stripe-secret-token", "stripe sk_live_" + AN[:24]),
    ("stripe-publishable-token", "stripe pk_test_" + AN[:24]),
    ("pypi-upload-token", "pypi pypi-AgEIcHlwaS5vcmc" + AN[:60]),
    ("npm-access-token", "//registry.npmjs.org/:_authToken=npm_" + AN[:36]),
    ("rubygems-api-token", "gem rubygems_" + HEX[:48]),
    ("jwt-token", "jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJmYWtlLXVzZXIifQ.FakeSignature0123456789"),
    ("grafana-service-account-token", "graf glsa_" + AN[:32] + "_0a1b2c3d"),
    ("linear-api-token", "linear lin_api_" + AN[:40]),
    ("age-secret-key", "AGE-SECRET-KEY-1" + "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L" * 2)[0:2],
    ("database-url-password", "DATABASE_URL=postgres://app:S3cr3t-Fake-Pw@db.internal:5432/app"),
    ("database-url-password", "MONGO=mongodb+srv://user:FakePassw0rd@cluster0.fake.net/db"),
    ("generic-password-assignment", 'db_password = "Fake-Passw0rd-123"'),
    ("generic-env-password", "ENV MYSQL_ROOT_PASSWORD=FakeRootPw99"),
]
# age key: 58 bech32 chars
positives[[p[0] for p in positives].index("age-secret-key")] = (
    "age-secret-key", "AGE-SECRET-KEY-1" + ("QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L" * 2)[:58])

negatives = [
    "export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE",       # allow-listed example value
    "xAKIA" + "FAKE" * 4 + "x",                              # wrapped in an identifier
    "token: ghp_short",                                      # too short
    "abcxoxb-1234567890",                                    # wrapped slack token
    "ask_live_superlive1",                                   # wrapped stripe key
    'password = "changeme"',                                 # placeholder
    'password = "password"',                                 # one character class
    "DB_PASSWORD=${DB_PASSWORD}",                            # variable reference
    "postgres://app:${PGPASSWORD}@db/app",                   # templated password
    "sk-proj-" + AN[:30] + "NOWATERMARK" + AN[:30],          # no OpenAI watermark
    "LTAI" + AN[:20] + "abc",                                # too long for alibaba
]

pem = ["-----BEGIN OPENSSH PRIVATE KEY-----",
       base64.b64encode(b"fake-openssh-key-material-" * 4).decode()[:64],
       base64.b64encode(b"more-fake-key-material-" * 4).decode()[:64],
       "-----END OPENSSH PRIVATE KEY-----"]

dockercfg = '{\n  "auths": {\n    "registry.example.org": {},\n    "ghcr.io": {\n      "auth": "' + \
    base64.b64encode(b"fakeuser:fakepassword").decode() + '"\n    }\n  }\n}\n'

gcp = '{\n  "type": "service_account",\n  "project_id": "fake-project",\n  "private_key": "-----BEGIN PRIVATE KEY-----\\n' + \
    base64.b64encode(b"not-a-real-private-key-" * 3).decode() + '\\n-----END PRIVATE KEY-----\\n",\n  "client_email": "fake@fake-project.iam.gserviceaccount.com"\n}\n'

expected = []
with open("positives.txt", "w") as f:
    for i, (rule, line) in enumerate(positives, 1):
        f.write(line + "\n")
        expected.append(f"{rule}@L{i}")
with open("negatives.txt", "w") as f:
    f.write("\n".join(negatives) + "\n")
with open("id_openssh", "w") as f:
    f.write("# deploy key\n" + "\n".join(pem) + "\n")
with open("config.json", "w") as f:
    f.write(dockercfg)
with open("service-account.json", "w") as f:
    f.write(gcp)
with open("expected.tsv", "w") as f:
    f.write("positives.txt\t" + " ".join(expected) + "\n")
    f.write("negatives.txt\t\n")
    f.write("id_openssh\tprivate-key@L3\n")
    f.write("config.json\tdocker-config-auth@L5\n")
    f.write("service-account.json\tgcp-service-account@L2 private-key@L4\n")
