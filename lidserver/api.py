"""The base of every API view: DRF's ``APIView`` with the method checked before the credentials."""

from __future__ import annotations

from typing import Any

from rest_framework.request import Request
from rest_framework.views import APIView


class ApiView(APIView):
    """An ``APIView`` that answers 405 to a method the address does not have, before asking who is calling.

    DRF's ``dispatch`` authenticates and checks permissions in ``initial`` and only then looks for
    the method's handler, so ``PUT /api/me/`` without a token answered 401, which tells a client to
    log in for something that cannot work. Whether the address has the method does not depend on the
    caller, so it is checked first (``http_method_not_allowed`` raises DRF's ``MethodNotAllowed``,
    rendered by ``lidserver.errors`` with the ``Allow`` header).
    """

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        method = request.method.lower()
        if method not in self.http_method_names or not hasattr(self, method):
            self.http_method_not_allowed(request, *args, **kwargs)
        super().initial(request, *args, **kwargs)
