/// Response bodies in the services' real shapes, after their API documentation: Rasa's
/// `POST /model/parse` (Rasa 3.x HTTP API), Dialogflow ES `projects.agent.sessions.detectIntent`
/// (`DetectIntentResponse`), Dialogflow CX `projects.locations.agents.sessions.detectIntent`
/// (v3 `DetectIntentResponse`), Amazon Lex V2 `RecognizeText` (`RecognizeTextResponse`), and
/// the errors they (or Google's and AWS's front ends) answer with.
enum Rasa {
    static let success = #"""
        {
          "text": "I want to cancel order 12345",
          "intent": {"id": -2811426154093286386, "name": "cancel_order", "confidence": 0.9731},
          "entities": [
            {"entity": "order_id", "start": 23, "end": 28, "confidence_entity": 0.9981, "value": "12345",
             "extractor": "DIETClassifier", "processors": []},
            {"start": 23, "end": 28, "text": "12345", "value": 12345, "confidence": 1.0,
             "additional_info": {"value": 12345, "type": "value"}, "entity": "number",
             "extractor": "DucklingEntityExtractor"}
          ],
          "text_tokens": [[0, 1], [2, 6], [7, 9], [10, 16], [17, 22], [23, 28]],
          "intent_ranking": [
            {"id": -2811426154093286386, "name": "cancel_order", "confidence": 0.9731},
            {"id": 6043393931546011553, "name": "order_status", "confidence": 0.0204},
            {"id": -3467869289418011466, "name": "greet", "confidence": 0.0065}
          ],
          "response_selector": {"all_retrieval_intents": [], "default": {"response": {"id": null, "responses": null,
            "response_templates": null, "confidence": 0.0, "intent_response_key": null, "utter_action": "utter_None",
            "template_name": "utter_None"}, "ranking": []}}
        }
        """#

    static let lowConfidence = #"""
        {
          "text": "hmm maybe",
          "intent": {"id": 1, "name": "affirm", "confidence": 0.4127},
          "entities": [],
          "intent_ranking": [
            {"id": 1, "name": "affirm", "confidence": 0.4127},
            {"id": 2, "name": "deny", "confidence": 0.3311},
            {"id": 3, "name": "greet", "confidence": 0.2562}
          ]
        }
        """#

    /// The FallbackClassifier's answer below its threshold.
    static let noMatch = #"""
        {
          "text": "purple monkey dishwasher",
          "intent": {"name": "nlu_fallback", "confidence": 0.3},
          "entities": [],
          "intent_ranking": [
            {"name": "nlu_fallback", "confidence": 0.3},
            {"id": 3, "name": "greet", "confidence": 0.2205},
            {"id": 2, "name": "deny", "confidence": 0.1849}
          ]
        }
        """#

    static let unauthorized = #"""
        {"version": "3.6.20", "status": "failure", "message": "User is not authenticated.", "reason": "NotAuthenticated", "details": {}, "help": null, "code": 401}
        """#

    static let serverError = #"""
        {"version": "3.6.20", "status": "failure", "message": "An unexpected error occurred. Error: list index out of range", "reason": "ParsingError", "details": {}, "help": null, "code": 500}
        """#
}

enum DialogflowES {
    static let success = #"""
        {
          "responseId": "ebdc9c8d-0c4c-4b9e-8b1a-3ee7d5b6a1f0-0f0e27e1",
          "queryResult": {
            "queryText": "Cancel order 12345 please",
            "action": "order.cancel",
            "parameters": {"order-id": "12345", "reason": "", "items": ["book", "lamp"], "amount": {"amount": 20, "currency": "EUR"}, "quantity": 2},
            "allRequiredParamsPresent": true,
            "fulfillmentText": "Okay, I'm cancelling order 12345.",
            "fulfillmentMessages": [{"text": {"text": ["Okay, I'm cancelling order 12345."]}}],
            "outputContexts": [{"name": "projects/ledgerbot-demo/agent/sessions/ledgerbot-1-42/contexts/order-followup", "lifespanCount": 2, "parameters": {"order-id": "12345", "order-id.original": "12345"}}],
            "intent": {"name": "projects/ledgerbot-demo/agent/intents/2b5f0a7e-3b8c-4a55-9e57-4c1a7a0d5c21", "displayName": "order.cancel"},
            "intentDetectionConfidence": 0.92,
            "languageCode": "en"
          }
        }
        """#

    /// Slot filling: the intent is likely, a required parameter is missing (proto3 leaves the
    /// false `allRequiredParamsPresent` out), and the prompt is only in `fulfillmentMessages`.
    static let lowConfidence = #"""
        {
          "responseId": "1c7b5e3c-8c2d-4f0e-a1a4-0d3c2f1e9b77-0f0e27e1",
          "queryResult": {
            "queryText": "a room maybe",
            "action": "room.book",
            "parameters": {"city": "", "guests": []},
            "fulfillmentMessages": [
              {"text": {"text": ["Which city would you like to stay in?"]}},
              {"platform": "TELEGRAM", "text": {"text": ["Which city?"]}}
            ],
            "outputContexts": [{"name": "projects/ledgerbot-demo/agent/sessions/ledgerbot-1-42/contexts/room_book_dialog_params_city", "lifespanCount": 1}],
            "intent": {"name": "projects/ledgerbot-demo/agent/intents/7a1d", "displayName": "room.book"},
            "intentDetectionConfidence": 0.47,
            "diagnosticInfo": {"end_conversation": false},
            "languageCode": "en"
          }
        }
        """#

    static let noMatch = #"""
        {
          "responseId": "5d9e4c2b-0a1b-4c3d-9e8f-7a6b5c4d3e2f-0f0e27e1",
          "queryResult": {
            "queryText": "purple monkey dishwasher",
            "action": "input.unknown",
            "parameters": {},
            "allRequiredParamsPresent": true,
            "fulfillmentText": "Sorry, could you say that again?",
            "fulfillmentMessages": [{"text": {"text": ["Sorry, could you say that again?"]}}],
            "intent": {"name": "projects/ledgerbot-demo/agent/intents/5b0f3e9a", "displayName": "Default Fallback Intent", "isFallback": true},
            "intentDetectionConfidence": 1,
            "languageCode": "en"
          }
        }
        """#
}

enum DialogflowCX {
    static let success = #"""
        {
          "responseId": "9c1a2b3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d",
          "queryResult": {
            "text": "I'd like to cancel order 12345",
            "languageCode": "en",
            "parameters": {"order_id": 12345},
            "responseMessages": [
              {"text": {"text": ["Sure, order 12345 will be cancelled."]}},
              {"text": {"text": ["Is there anything else I can help with?"]}},
              {"payload": {"richContent": [[{"type": "chips"}]]}}
            ],
            "currentPage": {"name": "projects/ledgerbot-demo/locations/global/agents/6b8d7f2e/flows/00000000-0000-0000-0000-000000000000/pages/3f1c", "displayName": "Cancel Order"},
            "intent": {"name": "projects/ledgerbot-demo/locations/global/agents/6b8d7f2e/intents/a1b2", "displayName": "order.cancel"},
            "intentDetectionConfidence": 0.94,
            "match": {
              "intent": {"name": "projects/ledgerbot-demo/locations/global/agents/6b8d7f2e/intents/a1b2", "displayName": "order.cancel"},
              "parameters": {"order_id": 12345},
              "resolvedInput": "I'd like to cancel order 12345",
              "matchType": "INTENT",
              "confidence": 0.94
            },
            "diagnosticInfo": {"Session Id": "ledgerbot-1-42"}
          }
        }
        """#

    static let lowConfidence = #"""
        {
          "responseId": "2a3b4c5d-6e7f-8a9b-0c1d-2e3f4a5b6c7d",
          "queryResult": {
            "text": "send 20 euros i think",
            "languageCode": "en",
            "parameters": {"amount": {"amount": 20, "currency": "EUR"}},
            "responseMessages": [{"text": {"text": ["To whom should I send 20 EUR?"]}}],
            "currentPage": {"name": "projects/ledgerbot-demo/locations/global/agents/6b8d7f2e/flows/0/pages/9d", "displayName": "Collect Recipient"},
            "match": {
              "intent": {"name": "projects/ledgerbot-demo/locations/global/agents/6b8d7f2e/intents/c3d4", "displayName": "transfer.money"},
              "parameters": {"amount": {"amount": 20, "currency": "EUR"}},
              "resolvedInput": "send 20 euros i think",
              "matchType": "INTENT",
              "confidence": 0.31
            }
          }
        }
        """#

    static let noMatch = #"""
        {
          "responseId": "7e8f9a0b-1c2d-3e4f-5a6b-7c8d9e0f1a2b",
          "queryResult": {
            "text": "purple monkey dishwasher",
            "languageCode": "en",
            "responseMessages": [{"text": {"text": ["I didn't get that. Can you say it again?"]}}],
            "currentPage": {"name": "projects/ledgerbot-demo/locations/global/agents/6b8d7f2e/flows/00000000-0000-0000-0000-000000000000/pages/START_PAGE", "displayName": "Start Page"},
            "match": {"resolvedInput": "purple monkey dishwasher", "matchType": "NO_MATCH", "event": "sys.no-match-default"}
          }
        }
        """#
}

enum Google {
    static let unauthenticated = #"""
        {
          "error": {
            "code": 401,
            "message": "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.",
            "status": "UNAUTHENTICATED"
          }
        }
        """#

    static let resourceExhausted = #"""
        {
          "error": {
            "code": 429,
            "message": "Quota exceeded for quota metric 'Text query operations' and limit 'Text query operations per minute' of service 'dialogflow.googleapis.com' for consumer 'project_number:123456789012'.",
            "status": "RESOURCE_EXHAUSTED"
          }
        }
        """#

    static let internalError = #"""
        {"error": {"code": 500, "message": "Internal error encountered.", "status": "INTERNAL"}}
        """#

    static let notFound = #"""
        {"error": {"code": 404, "message": "com.google.apps.framework.request.NotFoundException: No DesignTimeAgent found for project 'ledgerbot-missing'.", "status": "NOT_FOUND"}}
        """#
}

enum Lex {
    static let success = #"""
        {
          "messages": [{"content": "Okay, order 12345 will be cancelled. Anything else?", "contentType": "PlainText"}],
          "sessionState": {
            "dialogAction": {"type": "Close"},
            "intent": {"name": "CancelOrder", "slots": {"OrderId": {"value": {"originalValue": "12345", "interpretedValue": "12345", "resolvedValues": ["12345"]}}}, "state": "Fulfilled", "confirmationState": "None"},
            "originatingRequestId": "2f1e6a52-9d1c-4b8a-9f0e-3c2d1b0a9f8e"
          },
          "interpretations": [
            {"nluConfidence": {"score": 0.95}, "intent": {"name": "CancelOrder", "slots": {"OrderId": {"value": {"originalValue": "12345", "interpretedValue": "12345", "resolvedValues": ["12345"]}}}, "state": "Fulfilled", "confirmationState": "None"}, "interpretationSource": "Lex"},
            {"nluConfidence": {"score": 0.31}, "intent": {"name": "CheckOrderStatus", "slots": {"OrderId": null}}, "interpretationSource": "Lex"},
            {"intent": {"name": "FallbackIntent", "slots": {}}, "interpretationSource": "Lex"}
          ],
          "sessionId": "ledgerbot-1-42"
        }
        """#

    static let lowConfidence = #"""
        {
          "messages": [{"content": "What day do you want to check in?", "contentType": "PlainText"}],
          "sessionState": {
            "dialogAction": {"type": "ElicitSlot", "slotToElicit": "CheckInDate"},
            "intent": {"name": "BookHotel", "slots": {
              "Location": {"value": {"originalValue": "chicago", "interpretedValue": "Chicago", "resolvedValues": ["Chicago"]}},
              "CheckInDate": null,
              "Amenities": {"shape": "List", "value": {"originalValue": "pool and gym", "interpretedValue": "pool and gym", "resolvedValues": []},
                "values": [
                  {"shape": "Scalar", "value": {"originalValue": "pool", "interpretedValue": "pool", "resolvedValues": ["pool"]}},
                  {"shape": "Scalar", "value": {"originalValue": "gym", "interpretedValue": "gym", "resolvedValues": ["gym"]}}
                ]}
            }, "state": "InProgress", "confirmationState": "None"},
            "originatingRequestId": "8a7b6c5d-4e3f-2a1b-0c9d-8e7f6a5b4c3d"
          },
          "interpretations": [
            {"nluConfidence": {"score": 0.52}, "intent": {"name": "BookHotel", "slots": {
              "Location": {"value": {"originalValue": "chicago", "interpretedValue": "Chicago", "resolvedValues": ["Chicago"]}},
              "CheckInDate": null,
              "Amenities": {"shape": "List", "value": {"originalValue": "pool and gym", "interpretedValue": "pool and gym", "resolvedValues": []},
                "values": [
                  {"shape": "Scalar", "value": {"originalValue": "pool", "interpretedValue": "pool", "resolvedValues": ["pool"]}},
                  {"shape": "Scalar", "value": {"originalValue": "gym", "interpretedValue": "gym", "resolvedValues": ["gym"]}}
                ]}
            }, "state": "InProgress", "confirmationState": "None"}, "interpretationSource": "Lex"},
            {"intent": {"name": "FallbackIntent", "slots": {}}, "interpretationSource": "Lex"}
          ],
          "sessionId": "ledgerbot-1-42"
        }
        """#

    static let noMatch = #"""
        {
          "messages": [{"content": "Sorry, I didn't understand. Could you rephrase?", "contentType": "PlainText"}],
          "sessionState": {
            "dialogAction": {"type": "Close"},
            "intent": {"name": "FallbackIntent", "slots": {}, "state": "ReadyForFulfillment", "confirmationState": "None"},
            "originatingRequestId": "0f9e8d7c-6b5a-4f3e-2d1c-0b9a8f7e6d5c"
          },
          "interpretations": [
            {"intent": {"name": "FallbackIntent", "slots": {}, "state": "ReadyForFulfillment", "confirmationState": "None"}, "interpretationSource": "Lex"},
            {"nluConfidence": {"score": 0.22}, "intent": {"name": "CancelOrder", "slots": {"OrderId": null}}, "interpretationSource": "Lex"}
          ],
          "sessionId": "ledgerbot-1-42"
        }
        """#

    static let unrecognizedClient = #"{"message":"The security token included in the request is invalid."}"#
    static let throttling = #"{"message":"Rate exceeded"}"#
    static let internalServer = #"{"message":"Internal server error"}"#
    static let resourceNotFound = #"{"message":"Could not find bot alias TSTALIASID for bot BOTID12345"}"#

    static func errorHeaders(_ type: String) -> [(name: String, value: String)] {
        [
            (name: "x-amzn-ErrorType", value: "\(type):http://internal.amazon.com/coral/com.amazon.coral.service/"),
            (name: "x-amzn-RequestId", value: "3b2a1c0d-9e8f-7a6b-5c4d-3e2f1a0b9c8d"),
        ]
    }
}
