/// The OpenAPI 3.1 description of the native API, served at `GET /openapi.json`: routes, bodies, answers and every
/// error status. `ServerTests` checks that it parses and names every route; `scripts/test-server-schema` runs
/// schemathesis against a live server with it.
enum OpenAPIDocument {
    static let json = #"""
{
 "openapi": "3.1.0",
 "info": {
  "title": "vecdb",
  "version": "1",
  "description": "The native API of `vecdb serve` (docs/SERVER.md). Every error is {\"error\": {\"code\", \"message\"}}."
 },
 "servers": [
  {
   "url": "http://127.0.0.1:8080"
  }
 ],
 "security": [
  {
   "bearer": []
  },
  {
   "apiKey": []
  },
  {}
 ],
 "paths": {
  "/healthz": {
   "get": {
    "operationId": "health",
    "summary": "200 while the database is open.",
    "security": [],
    "responses": {
     "200": {
      "description": "Open.",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Health"
        }
       }
      }
     }
    }
   }
  },
  "/v1/info": {
   "get": {
    "operationId": "info",
    "summary": "What `vecdb info --json` prints.",
    "responses": {
     "200": {
      "description": "The database.",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Info"
        }
       }
      }
     },
     "401": {
      "$ref": "#/components/responses/Unauthorized"
     }
    }
   }
  },
  "/v1/models": {
   "get": {
    "operationId": "models",
    "summary": "The served spaces.",
    "responses": {
     "200": {
      "description": "Served spaces.",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Models"
        }
       }
      }
     },
     "401": {
      "$ref": "#/components/responses/Unauthorized"
     }
    }
   }
  },
  "/metrics": {
   "get": {
    "operationId": "metrics",
    "summary": "Prometheus text.",
    "responses": {
     "200": {
      "description": "Metrics.",
      "content": {
       "text/plain": {
        "schema": {
         "type": "string"
        }
       }
      }
     },
     "401": {
      "$ref": "#/components/responses/Unauthorized"
     }
    }
   }
  },
  "/openapi.json": {
   "get": {
    "operationId": "openapi",
    "summary": "This document.",
    "responses": {
     "200": {
      "description": "OpenAPI 3.1.",
      "content": {
       "application/json": {
        "schema": {
         "type": "object"
        }
       }
      }
     },
     "401": {
      "$ref": "#/components/responses/Unauthorized"
     }
    }
   }
  },
  "/v1/documents": {
   "post": {
    "operationId": "ingest",
    "summary": "Store documents and their vectors in one commit, answered after it.",
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/IngestRequest"
       }
      }
     }
    },
    "responses": {
     "200": {
      "description": "Committed.",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/IngestResponse"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthorized"
     },
     "404": {
      "$ref": "#/components/responses/NotFound"
     },
     "413": {
      "$ref": "#/components/responses/TooLarge"
     },
     "403": {
      "$ref": "#/components/responses/Forbidden"
     },
     "409": {
      "$ref": "#/components/responses/Conflict"
     },
     "429": {
      "$ref": "#/components/responses/QueueFull"
     },
     "503": {
      "$ref": "#/components/responses/Unavailable"
     },
     "507": {
      "$ref": "#/components/responses/Full"
     }
    }
   },
   "get": {
    "operationId": "listDocuments",
    "summary": "A page of documents in id order (keyset paging), optionally filtered.",
    "parameters": [
     {
      "name": "limit",
      "in": "query",
      "required": false,
      "schema": {
       "type": "integer",
       "minimum": 1,
       "maximum": 1000,
       "default": 20
      }
     },
     {
      "name": "after",
      "in": "query",
      "required": false,
      "schema": {
       "type": "integer",
       "minimum": 0
      },
      "description": "The previous page's `next`."
     },
     {
      "name": "where",
      "in": "query",
      "required": false,
      "schema": {
       "type": "string"
      },
      "description": "A filter as JSON text, as `--where` takes it."
     }
    ],
    "responses": {
     "200": {
      "description": "The page.",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/DocumentPage"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthorized"
     },
     "413": {
      "$ref": "#/components/responses/TooLarge"
     }
    }
   }
  },
  "/v1/documents/{id}": {
   "parameters": [
    {
     "$ref": "#/components/parameters/DocumentID"
    },
    {
     "$ref": "#/components/parameters/External"
    }
   ],
   "get": {
    "operationId": "getDocument",
    "summary": "One document.",
    "responses": {
     "200": {
      "description": "The document.",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Document"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthorized"
     },
     "404": {
      "$ref": "#/components/responses/NotFound"
     },
     "413": {
      "$ref": "#/components/responses/TooLarge"
     }
    }
   },
   "delete": {
    "operationId": "deleteDocument",
    "summary": "Delete one document with its vectors.",
    "responses": {
     "200": {
      "description": "Committed.",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/DeleteResponse"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthorized"
     },
     "404": {
      "$ref": "#/components/responses/NotFound"
     },
     "413": {
      "$ref": "#/components/responses/TooLarge"
     },
     "403": {
      "$ref": "#/components/responses/Forbidden"
     },
     "409": {
      "$ref": "#/components/responses/Conflict"
     },
     "429": {
      "$ref": "#/components/responses/QueueFull"
     },
     "503": {
      "$ref": "#/components/responses/Unavailable"
     },
     "507": {
      "$ref": "#/components/responses/Full"
     }
    }
   }
  },
  "/v1/delete": {
   "post": {
    "operationId": "delete",
    "summary": "Delete by numbers, given ids or filter, in one commit; an unknown id deletes nothing (404).",
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/DeleteRequest"
       }
      }
     }
    },
    "responses": {
     "200": {
      "description": "Committed.",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/DeleteResponse"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthorized"
     },
     "404": {
      "$ref": "#/components/responses/NotFound"
     },
     "413": {
      "$ref": "#/components/responses/TooLarge"
     },
     "403": {
      "$ref": "#/components/responses/Forbidden"
     },
     "409": {
      "$ref": "#/components/responses/Conflict"
     },
     "429": {
      "$ref": "#/components/responses/QueueFull"
     },
     "503": {
      "$ref": "#/components/responses/Unavailable"
     },
     "507": {
      "$ref": "#/components/responses/Full"
     }
    }
   }
  },
  "/v1/query": {
   "post": {
    "operationId": "query",
    "summary": "Nearest documents to a text or vector, in one snapshot.",
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/QueryRequest"
       }
      }
     }
    },
    "responses": {
     "200": {
      "description": "Results.",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/QueryResponse"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthorized"
     },
     "404": {
      "$ref": "#/components/responses/NotFound"
     },
     "413": {
      "$ref": "#/components/responses/TooLarge"
     },
     "409": {
      "$ref": "#/components/responses/Conflict"
     }
    }
   }
  },
  "/v1/embed": {
   "post": {
    "operationId": "embed",
    "summary": "Vectors of texts, stored nowhere.",
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/EmbedRequest"
       }
      }
     }
    },
    "responses": {
     "200": {
      "description": "Vectors.",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/EmbedResponse"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthorized"
     },
     "404": {
      "$ref": "#/components/responses/NotFound"
     },
     "413": {
      "$ref": "#/components/responses/TooLarge"
     }
    }
   }
  },
  "/v1/documents/{id}/neighbors": {
   "parameters": [
    {
     "$ref": "#/components/parameters/DocumentID"
    },
    {
     "$ref": "#/components/parameters/External"
    },
    {
     "name": "k",
     "in": "query",
     "required": false,
     "schema": {
      "type": "integer",
      "minimum": 1,
      "maximum": 100,
      "default": 5
     }
    }
   ],
   "get": {
    "operationId": "documentNeighbors",
    "summary": "The document's nearest documents in each served space that holds it, itself left out.",
    "responses": {
     "200": {
      "description": "Neighbours per space.",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/NeighborsResponse"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthorized"
     },
     "404": {
      "$ref": "#/components/responses/NotFound"
     },
     "413": {
      "$ref": "#/components/responses/TooLarge"
     }
    }
   }
  },
  "/v1/compare": {
   "post": {
    "operationId": "compare",
    "summary": "`vecdb compare`: each question against each answer, per model; without texts, the seed's pairs.",
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/CompareRequest"
       }
      }
     }
    },
    "responses": {
     "200": {
      "description": "The matrices.",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/CompareResponse"
        }
       }
      }
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthorized"
     },
     "404": {
      "$ref": "#/components/responses/NotFound"
     },
     "413": {
      "$ref": "#/components/responses/TooLarge"
     }
    }
   }
  }
 },
 "components": {
  "schemas": {
   "Error": {
    "type": "object",
    "required": [
     "error"
    ],
    "properties": {
     "error": {
      "type": "object",
      "required": [
       "code",
       "message"
      ],
      "properties": {
       "code": {
        "type": "string",
        "description": "A stable word to switch on: invalid_request, invalid_json, unknown_field, invalid_filter, unauthorized, read_only_key, not_found, model_not_found, incompatible_space, conflict, body_too_large, write_queue_full, shutting_down, storage_full, lexical_space, no_model, invalid_model"
       },
       "message": {
        "type": "string",
        "description": "One line naming what and where."
       }
      }
     }
    }
   },
   "Health": {
    "type": "object",
    "required": [
     "status",
     "documents"
    ],
    "properties": {
     "status": {
      "const": "ok"
     },
     "documents": {
      "type": "integer"
     }
    }
   },
   "Info": {
    "type": "object",
    "description": "What `vecdb info --json` prints.",
    "required": [
     "path",
     "documents",
     "snapshot",
     "collections",
     "adapters",
     "bytes_used",
     "bytes_file",
     "blas",
     "kernels"
    ],
    "properties": {
     "path": {
      "type": "string"
     },
     "documents": {
      "type": "integer"
     },
     "snapshot": {
      "type": "integer"
     },
     "bytes_used": {
      "type": "integer"
     },
     "bytes_file": {
      "type": "integer"
     },
     "collections": {
      "type": "array",
      "items": {
       "type": "object",
       "required": [
        "name",
        "model",
        "dimensions",
        "count",
        "metric"
       ],
       "properties": {
        "name": {
         "type": "string"
        },
        "model": {
         "type": "string"
        },
        "dimensions": {
         "type": "integer"
        },
        "count": {
         "type": "integer"
        },
        "metric": {
         "type": "string"
        },
        "precision": {
         "type": "string",
         "enum": ["f32", "bf16", "int8"],
         "description": "arithmetic of the model's linear layers when the vectors were made (vector collections)"
        }
       }
      }
     },
     "adapters": {
      "type": "array",
      "items": {
       "type": "object"
      }
     },
     "blas": {
      "type": "object"
     },
     "kernels": {
      "type": "object"
     },
     "metadata_fields": {
      "type": "array",
      "items": {
       "type": "object"
      }
     }
    }
   },
   "Models": {
    "type": "object",
    "required": [
     "models",
     "skipped"
    ],
    "properties": {
     "models": {
      "type": "array",
      "items": {
       "type": "object",
       "required": [
        "name",
        "spec",
        "model",
        "dimensions",
        "pooling",
        "prompt",
        "lexical"
       ],
       "properties": {
        "name": {
         "type": "string"
        },
        "spec": {
         "type": "string"
        },
        "model": {
         "type": "string"
        },
        "dimensions": {
         "type": "integer"
        },
        "pooling": {
         "type": "string"
        },
        "prompt": {
         "type": "string"
        },
        "lexical": {
         "type": "boolean"
        }
       }
      }
     },
     "skipped": {
      "type": "array",
      "items": {
       "type": "object",
       "required": [
        "name",
        "reason"
       ],
       "properties": {
        "name": {
         "type": "string"
        },
        "reason": {
         "type": "string"
        }
       }
      }
     }
    }
   },
   "DocumentInput": {
    "type": "object",
    "additionalProperties": false,
    "required": [
     "text"
    ],
    "properties": {
     "id": {
      "description": "The id the document is known by (a string, or a number kept in its decimal form); a document with this id is replaced.",
      "anyOf": [
       {
        "type": "string",
        "minLength": 1
       },
       {
        "type": "number"
       }
      ]
     },
     "text": {
      "type": "string",
      "minLength": 1,
      "pattern": "\\S",
      "description": "Not only whitespace; no NUL."
     },
     "metadata": {
      "type": "object",
      "description": "Fields `where` filters match."
     }
    }
   },
   "IngestRequest": {
    "type": "object",
    "additionalProperties": false,
    "required": [
     "documents"
    ],
    "properties": {
     "documents": {
      "type": "array",
      "minItems": 1,
      "items": {
       "$ref": "#/components/schemas/DocumentInput"
      }
     },
     "models": {
      "type": "array",
      "minItems": 1,
      "items": {
       "type": "string"
      },
      "description": "Served spaces to fill (default: all of them)."
     }
    }
   },
   "IngestResponse": {
    "type": "object",
    "required": [
     "added",
     "updated",
     "unchanged",
     "embedded",
     "truncated",
     "collections",
     "ids",
     "snapshot"
    ],
    "properties": {
     "added": {
      "type": "integer"
     },
     "updated": {
      "type": "integer"
     },
     "unchanged": {
      "type": "integer"
     },
     "embedded": {
      "type": "integer"
     },
     "truncated": {
      "type": "integer"
     },
     "collections": {
      "type": "array",
      "items": {
       "type": "string"
      }
     },
     "ids": {
      "type": "array",
      "items": {
       "type": "integer"
      },
      "description": "Each input document's number, in order."
     },
     "snapshot": {
      "type": "integer",
      "description": "The transaction id of the commit: durable when this answer arrives."
     }
    }
   },
   "Document": {
    "type": "object",
    "required": [
     "id",
     "text",
     "collections",
     "snapshot"
    ],
    "properties": {
     "id": {
      "type": "integer"
     },
     "text": {
      "type": "string"
     },
     "external_id": {
      "type": "string"
     },
     "metadata": {
      "type": "object"
     },
     "collections": {
      "type": "array",
      "items": {
       "type": "string"
      }
     },
     "snapshot": {
      "type": "integer"
     }
    }
   },
   "Result": {
    "type": "object",
    "required": [
     "id",
     "text",
     "score"
    ],
    "properties": {
     "id": {
      "type": "integer"
     },
     "text": {
      "type": "string"
     },
     "score": {
      "type": "number"
     },
     "external_id": {
      "type": "string"
     },
     "metadata": {
      "type": "object"
     },
     "ranks": {
      "type": "object",
      "additionalProperties": {
       "type": [
        "integer",
        "null"
       ]
      },
      "description": "Rank in each other input's top max(k, 100) (null: not in it)."
     }
    }
   },
   "QueryRequest": {
    "type": "object",
    "additionalProperties": false,
    "description": "One of text, vector.",
    "oneOf": [
     {
      "required": [
       "text"
      ]
     },
     {
      "required": [
       "vector"
      ]
     }
    ],
    "properties": {
     "text": {
      "type": "string",
      "minLength": 1
     },
     "vector": {
      "type": "array",
      "minItems": 1,
      "items": {
       "type": "number"
      }
     },
     "k": {
      "type": "integer",
      "minimum": 1,
      "maximum": 10000,
      "default": 10
     },
     "model": {
      "type": "string",
      "description": "A served space (for a vector: any collection)."
     },
     "models": {
      "type": "array",
      "minItems": 1,
      "items": {
       "type": "string"
      },
      "description": "Several spaces ranking one text."
     },
     "where": {
      "type": "object",
      "description": "A metadata filter: {\"year\": {\"$gte\": 2020}} ($eq $ne $gt $gte $lt $lte $in $nin $exists $and $or $not)."
     },
     "fuse": {
      "type": "string",
      "description": "With models: rrf, rrf:K or weighted:W."
     },
     "ef": {
      "type": "integer",
      "minimum": 1,
      "maximum": 100000
     },
     "exact": {
      "type": "boolean"
     }
    }
   },
   "QueryResponse": {
    "anyOf": [
     {
      "type": "object",
      "required": [
       "results",
       "collection",
       "snapshot",
       "search",
       "scanned"
      ],
      "properties": {
       "results": {
        "type": "array",
        "items": {
         "$ref": "#/components/schemas/Result"
        }
       },
       "collection": {
        "type": "string"
       },
       "snapshot": {
        "type": "integer"
       },
       "search": {
        "type": "string"
       },
       "scanned": {
        "type": "integer"
       }
      }
     },
     {
      "type": "object",
      "required": [
       "fused",
       "order",
       "results",
       "snapshot"
      ],
      "properties": {
       "fused": {
        "type": "string"
       },
       "order": {
        "type": "array",
        "items": {
         "type": "string"
        }
       },
       "results": {
        "type": "array",
        "items": {
         "$ref": "#/components/schemas/Result"
        }
       },
       "snapshot": {
        "type": "integer"
       }
      }
     },
     {
      "type": "object",
      "required": [
       "models",
       "order",
       "snapshot"
      ],
      "properties": {
       "models": {
        "$ref": "#/components/schemas/ResultsBySpace"
       },
       "order": {
        "type": "array",
        "items": {
         "type": "string"
        }
       },
       "snapshot": {
        "type": "integer"
       }
      }
     }
    ]
   },
   "DeleteRequest": {
    "type": "object",
    "additionalProperties": false,
    "description": "Exactly one of ids, external_ids, where.",
    "minProperties": 1,
    "maxProperties": 1,
    "properties": {
     "ids": {
      "type": "array",
      "items": {
       "type": "integer",
       "minimum": 0
      }
     },
     "external_ids": {
      "type": "array",
      "items": {
       "type": "string"
      }
     },
     "where": {
      "type": "object"
     }
    }
   },
   "DeleteResponse": {
    "type": "object",
    "required": [
     "deleted",
     "ids",
     "snapshot"
    ],
    "properties": {
     "deleted": {
      "type": "integer"
     },
     "ids": {
      "type": "array",
      "items": {
       "type": "integer"
      }
     },
     "snapshot": {
      "type": "integer"
     }
    }
   },
   "EmbedRequest": {
    "type": "object",
    "additionalProperties": false,
    "required": [
     "texts"
    ],
    "properties": {
     "texts": {
      "type": "array",
      "minItems": 1,
      "items": {
       "type": "string"
      }
     },
     "model": {
      "type": "string"
     }
    }
   },
   "EmbedResponse": {
    "type": "object",
    "required": [
     "model",
     "dimensions",
     "vectors",
     "truncated"
    ],
    "properties": {
     "model": {
      "type": "string"
     },
     "dimensions": {
      "type": "integer"
     },
     "vectors": {
      "type": "array",
      "items": {
       "type": "array",
       "items": {
        "type": "number"
       }
      }
     },
     "truncated": {
      "type": "array",
      "items": {
       "type": "boolean"
      }
     }
    }
   },
   "DocumentPage": {
    "type": "object",
    "required": [
     "documents",
     "next",
     "total",
     "snapshot"
    ],
    "properties": {
     "documents": {
      "type": "array",
      "items": {
       "$ref": "#/components/schemas/StoredDocument"
      }
     },
     "next": {
      "type": [
       "integer",
       "null"
      ]
     },
     "total": {
      "type": "integer"
     },
     "snapshot": {
      "type": "integer"
     }
    }
   },
   "NeighborsResponse": {
    "type": "object",
    "required": [
     "document",
     "neighbors",
     "order",
     "snapshot"
    ],
    "properties": {
     "document": {
      "$ref": "#/components/schemas/StoredDocument"
     },
     "neighbors": {
      "$ref": "#/components/schemas/ResultsBySpace"
     },
     "order": {
      "type": "array",
      "items": {
       "type": "string"
      }
     },
     "snapshot": {
      "type": "integer"
     }
    }
   },
   "CompareRequest": {
    "type": "object",
    "additionalProperties": false,
    "properties": {
     "questions": {
      "$ref": "#/components/schemas/PairTexts"
     },
     "answers": {
      "$ref": "#/components/schemas/PairTexts"
     },
     "models": {
      "type": "array",
      "minItems": 1,
      "items": {
       "type": "string"
      }
     }
    }
   },
   "CompareResponse": {
    "type": "object",
    "required": [
     "models",
     "order",
     "pairs",
     "questions",
     "answers"
    ],
    "properties": {
     "models": {
      "type": "object",
      "additionalProperties": {
       "$ref": "#/components/schemas/ComparisonMatrix"
      }
     },
     "published": {
      "type": "object",
      "additionalProperties": {
       "$ref": "#/components/schemas/ComparisonMatrix"
      }
     },
     "published_source": {
      "type": "string"
     },
     "order": {
      "type": "array",
      "items": {
       "type": "string"
      }
     },
     "pairs": {
      "type": "integer"
     },
     "questions": {
      "type": "array",
      "items": {
       "type": "string"
      }
     },
     "answers": {
      "type": "array",
      "items": {
       "type": "string"
      }
     }
    }
   },
   "ComparisonMatrix": {
    "type": "object",
    "required": [
     "similarities",
     "mean_matching",
     "mean_non_matching",
     "gap",
     "top1_accuracy",
     "mrr"
    ],
    "properties": {
     "similarities": {
      "type": "array",
      "items": {
       "type": "array",
       "items": {
        "type": "number"
       }
      }
     },
     "mean_matching": {
      "type": "number"
     },
     "mean_non_matching": {
      "type": [
       "number",
       "null"
      ]
     },
     "gap": {
      "type": [
       "number",
       "null"
      ]
     },
     "top1_accuracy": {
      "type": "number"
     },
     "mrr": {
      "type": "number"
     },
     "note": {
      "type": "string"
     }
    }
   },
   "StoredDocument": {
    "type": "object",
    "required": [
     "id",
     "text"
    ],
    "properties": {
     "id": {
      "type": "integer"
     },
     "text": {
      "type": "string"
     },
     "external_id": {
      "type": "string"
     },
     "metadata": {
      "type": "object"
     }
    }
   },
   "PairTexts": {
    "type": "array",
    "minItems": 1,
    "maxItems": 32,
    "items": {
     "type": "string",
     "minLength": 1,
     "pattern": "\\S"
    }
   },
   "ResultsBySpace": {
    "type": "object",
    "additionalProperties": {
     "type": "array",
     "items": {
      "$ref": "#/components/schemas/Result"
     }
    }
   }
  },
  "responses": {
   "BadRequest": {
    "description": "Bad JSON, an unknown field, a bad value or filter.",
    "content": {
     "application/json": {
      "schema": {
       "$ref": "#/components/schemas/Error"
      }
     }
    }
   },
   "Unauthorized": {
    "description": "No valid API key.",
    "content": {
     "application/json": {
      "schema": {
       "$ref": "#/components/schemas/Error"
      }
     }
    }
   },
   "Forbidden": {
    "description": "The read-only key asked to write.",
    "content": {
     "application/json": {
      "schema": {
       "$ref": "#/components/schemas/Error"
      }
     }
    }
   },
   "NotFound": {
    "description": "No such document, model, collection or route.",
    "content": {
     "application/json": {
      "schema": {
       "$ref": "#/components/schemas/Error"
      }
     }
    }
   },
   "Conflict": {
    "description": "The space's collection was built another way, or a concurrent write changed what the request planned for.",
    "content": {
     "application/json": {
      "schema": {
       "$ref": "#/components/schemas/Error"
      }
     }
    }
   },
   "TooLarge": {
    "description": "The body is over --max-body.",
    "content": {
     "application/json": {
      "schema": {
       "$ref": "#/components/schemas/Error"
      }
     }
    }
   },
   "QueueFull": {
    "description": "The write queue is full; retry.",
    "content": {
     "application/json": {
      "schema": {
       "$ref": "#/components/schemas/Error"
      }
     }
    }
   },
   "Unavailable": {
    "description": "Shutting down.",
    "content": {
     "application/json": {
      "schema": {
       "$ref": "#/components/schemas/Error"
      }
     }
    }
   },
   "Full": {
    "description": "The database reached its map size or the disk is full; nothing of the request was written.",
    "content": {
     "application/json": {
      "schema": {
       "$ref": "#/components/schemas/Error"
      }
     }
    }
   }
  },
  "securitySchemes": {
   "bearer": {
    "type": "http",
    "scheme": "bearer"
   },
   "apiKey": {
    "type": "apiKey",
    "in": "header",
    "name": "api-key"
   }
  },
  "parameters": {
   "DocumentID": {
    "name": "id",
    "in": "path",
    "required": true,
    "schema": {
     "type": "string"
    },
    "description": "The document's number, or with external=true the id it was given."
   },
   "External": {
    "name": "external",
    "in": "query",
    "required": false,
    "schema": {
     "type": "string",
     "enum": [
      "true",
      "false"
     ]
    }
   }
  }
 }
}
"""#
}
