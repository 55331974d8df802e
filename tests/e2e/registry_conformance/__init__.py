# SPDX-License-Identifier: Apache-2.0
"""OCI distribution-spec conformance and client interop tests of registry implementations."""
