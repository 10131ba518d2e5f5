"""The published API schema: every operation documents the one error shape of lms.errors."""

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="A machine code, e.g. not_found, invalid, not_allowed.")
    message = serializers.CharField(help_text="A message for people, in the request's language.")
    fields = serializers.DictField(required=False, help_text="Messages by input field, when input was refused.")


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()


ERROR_DESCRIPTIONS = {
    "400": "The input was refused: see error.fields.",
    "403": "Not signed in, or not allowed to do this.",
    "404": "Not found, or not visible to this user (both answer the same).",
    "409": "The object's current state does not allow this now.",
    "413": "The upload is larger than allowed.",
    "429": "Too many requests: wait and try again.",
}
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


class ErrorDocumentingAutoSchema(AutoSchema):
    """Add the error answers an operation can give, each with the one JSON error shape.

    400/403/404/429 can answer any operation (bad query parameters, the permission check, scoped
    lookups and filters, rate limits); 409 and 413 only a request with a body (a change of state;
    any such request may carry files, and the size guard answers before the view is chosen).
    """

    def error_codes(self) -> list[str]:
        codes = ["400", "403", "404", "429"]
        if self.method in UNSAFE_METHODS:
            codes += ["409", "413"]
        return codes

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code in self.error_codes():
            if code not in responses:
                responses[code] = self._get_response_for_code(
                    OpenApiResponse(response=ErrorSerializer, description=ERROR_DESCRIPTIONS[code]),
                    code,
                    media_types=["application/json"],
                    direction=direction,
                )
        return responses


class ObjectListSchema(ErrorDocumentingAutoSchema):
    """For a `list` that answers one object (a search page with its own count), not an array."""

    def _is_list_view(self, serializer=None) -> bool:
        return False
