import Foundation
import SceneFlowBasics
import SceneFlowRun
import SceneFlowTemplate

/// The OpenAPI 3.1 document of the API (`GET /openapi.json`): written by hand, with the
/// template's JSON Schema (`sceneflow schema`) as the `Template` component so that request
/// bodies are described by the same facts the decoder checks. A test checks that it describes
/// exactly the routes the router has; Schemathesis checks the server against it.
enum OpenAPIDocument {
    static let json: String = {
        guard var document = (try? JSONSerialization.jsonObject(with: Data(written.utf8))) as? [String: Any],
              var components = document["components"] as? [String: Any],
              var schemas = components["schemas"] as? [String: Any] else { return written }
        // Embedded, the template schema's own references point into the document.
        var template = TemplateSchema.object()
        template["$id"] = nil
        template["$schema"] = nil
        let text = String(decoding: (try? JSONSerialization.data(withJSONObject: template, options: [.withoutEscapingSlashes])) ?? Data(), as: UTF8.self)
            .replacingOccurrences(of: "#/$defs/", with: "#/components/schemas/Template/$defs/")
        schemas["Template"] = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) ?? [:]
        components["schemas"] = schemas
        document["components"] = components
        let data = (try? JSONSerialization.data(withJSONObject: document, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data(written.utf8)
        return String(decoding: data, as: UTF8.self)
    }()

    /// The methods the document lists for a request path (`{name}` segments match any one
    /// segment); empty when no documented path matches.
    static func methods(for path: String) -> [String] {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true)
        return routes.first { pattern, _ in
            pattern.count == segments.count && zip(pattern, segments).allSatisfy { $0.hasPrefix("{") || $0 == $1 }
        }?.methods ?? []
    }

    static let routes: [(segments: [String], methods: [String])] = {
        let document = (try? JSONSerialization.jsonObject(with: Data(written.utf8))) as? [String: Any]
        let paths = document?["paths"] as? [String: [String: Any]] ?? [:]
        return paths.map { path, operations in
            (path.split(separator: "/").map(String.init), operations.keys.map { $0.uppercased() }.sorted())
        }
    }()

    /// Everything but the template schema.
    static let written = #"""
{
 "components": {
  "parameters": {
   "Node": {
    "description": "node id (scene.kind, final.video, or an input's kind:id)",
    "in": "path",
    "name": "node",
    "required": true,
    "schema": {
     "pattern": "^[a-z0-9][a-z0-9_.:-]*$",
     "type": "string"
    }
   },
   "ProductId": {
    "description": "product id",
    "in": "path",
    "name": "product_id",
    "required": true,
    "schema": {
     "pattern": "^[a-z0-9][a-z0-9_-]*$",
     "type": "string"
    }
   },
   "RangeHeader": {
    "in": "header",
    "name": "Range",
    "required": false,
    "schema": {
     "type": "string"
    }
   },
   "RunID": {
    "description": "run id",
    "in": "path",
    "name": "id",
    "required": true,
    "schema": {
     "pattern": "^[a-z0-9][a-z0-9_-]*$",
     "type": "string"
    }
   },
   "Take": {
    "description": "take number",
    "in": "path",
    "name": "take",
    "required": true,
    "schema": {
     "maximum": 100000,
     "minimum": 1,
     "type": "integer"
    }
   },
   "TemplateID": {
    "description": "template id",
    "in": "path",
    "name": "id",
    "required": true,
    "schema": {
     "pattern": "^[a-z0-9][a-z0-9_-]*$",
     "type": "string"
    }
   }
  },
  "responses": {
   "BadRequest": {
    "content": {
     "application/json": {
      "schema": {
       "$ref": "#/components/schemas/Error"
      }
     }
    },
    "description": "malformed request (bad id, bad query value, malformed body)"
   },
   "Forbidden": {
    "content": {
     "application/json": {
      "schema": {
       "$ref": "#/components/schemas/Error"
      }
     }
    },
    "description": "a state-changing request from another origin"
   },
   "NotATemplateType": {
    "content": {
     "application/json": {
      "schema": {
       "$ref": "#/components/schemas/Error"
      }
     }
    },
    "description": "not JSON or YAML"
   },
   "TooLarge": {
    "content": {
     "application/json": {
      "schema": {
       "$ref": "#/components/schemas/Error"
      }
     }
    },
    "description": "body too large"
   },
   "Unauthorized": {
    "content": {
     "application/json": {
      "schema": {
       "$ref": "#/components/schemas/Error"
      }
     }
    },
    "description": "a bearer token is required and was missing or wrong"
   }
  },
  "schemas": {
   "Asset": {
    "properties": {
     "added_at": {
      "type": "string"
     },
     "asset_key": {
      "type": "string"
     },
     "bytes": {
      "type": "integer"
     },
     "file": {
      "type": "string"
     },
     "original_name": {
      "type": "string"
     },
     "sha256": {
      "type": "string"
     },
     "type": {
      "type": "string"
     },
     "url": {
      "description": "the stored file's bytes (GET)",
      "type": "string"
     }
    },
    "required": [
     "asset_key",
     "file",
     "type",
     "sha256",
     "bytes",
     "added_at"
    ],
    "type": "object"
   },
   "Diagnostic": {
    "properties": {
     "code": {
      "type": "string"
     },
     "column": {
      "type": [
       "integer",
       "null"
      ]
     },
     "file": {
      "type": [
       "string",
       "null"
      ]
     },
     "line": {
      "type": [
       "integer",
       "null"
      ]
     },
     "message": {
      "type": "string"
     },
     "path": {
      "type": [
       "string",
       "null"
      ]
     },
     "severity": {
      "enum": [
       "error",
       "warning"
      ],
      "type": "string"
     },
     "suggestion": {
      "type": [
       "string",
       "null"
      ]
     }
    },
    "required": [
     "severity",
     "code",
     "message"
    ],
    "type": "object"
   },
   "Error": {
    "properties": {
     "error": {
      "properties": {
       "code": {
        "type": "string"
       },
       "diagnostics": {
        "items": {
         "$ref": "#/components/schemas/Diagnostic"
        },
        "type": "array"
       },
       "message": {
        "type": "string"
       }
      },
      "required": [
       "code",
       "message"
      ],
      "type": "object"
     }
    },
    "required": [
     "error"
    ],
    "type": "object"
   },
   "Graph": {
    "properties": {
     "edges": {
      "items": {
       "type": "object"
      },
      "type": "array"
     },
     "nodes": {
      "items": {
       "type": "object"
      },
      "type": "array"
     }
    },
    "required": [
     "nodes",
     "edges"
    ],
    "type": "object"
   },
   "Model": {
    "properties": {
     "id": {
      "type": "string"
     },
     "kinds": {
      "items": {
       "type": "string"
      },
      "type": "array"
     },
     "provider": {
      "type": "string"
     }
    },
    "required": [
     "id",
     "provider",
     "kinds"
    ],
    "type": "object"
   },
   "Product": {
    "properties": {
     "assets": {
      "type": "integer"
     },
     "product_id": {
      "type": "string"
     }
    },
    "required": [
     "product_id",
     "assets"
    ],
    "type": "object"
   },
   "RunReport": {
    "properties": {
     "nodes": {
      "items": {
       "type": "object"
      },
      "type": "array"
     },
     "run_id": {
      "type": "string"
     },
     "status": {
      "type": "string"
     }
    },
    "required": [
     "run_id",
     "status"
    ],
    "type": "object"
   },
   "RunRequest": {
    "additionalProperties": false,
    "properties": {
     "max_cost": {
      "maximum": 1000000,
      "minimum": 0,
      "type": "number"
     },
     "offline": {
      "type": "boolean"
     },
     "product_id": {
      "pattern": "^[a-z0-9][a-z0-9_-]*$",
      "type": "string"
     },
     "regenerate": {
      "items": {
       "type": "string"
      },
      "type": "array"
     },
     "targets": {
      "items": {
       "type": "string"
      },
      "type": "array"
     },
     "template": {
      "pattern": "^[a-z0-9][a-z0-9_-]*$",
      "type": "string"
     }
    },
    "required": [
     "template"
    ],
    "type": "object"
   },
   "RunSummary": {
    "properties": {
     "product_id": {
      "type": [
       "string",
       "null"
      ]
     },
     "run_id": {
      "type": "string"
     },
     "status": {
      "type": "string"
     },
     "template": {
      "type": "string"
     }
    },
    "required": [
     "run_id",
     "template",
     "status"
    ],
    "type": "object"
   },
   "SavedTemplate": {
    "properties": {
     "diagnostics": {
      "items": {
       "$ref": "#/components/schemas/Diagnostic"
      },
      "type": "array"
     },
     "file": {
      "type": "string"
     },
     "id": {
      "type": "string"
     },
     "valid": {
      "type": "boolean"
     }
    },
    "required": [
     "id",
     "file",
     "valid",
     "diagnostics"
    ],
    "type": "object"
   },
   "TakeList": {
    "properties": {
     "job_key": {
      "type": "string"
     },
     "node": {
      "type": "string"
     },
     "picked": {
      "type": [
       "integer",
       "null"
      ]
     },
     "run": {
      "type": "string"
     },
     "takes": {
      "items": {
       "properties": {
        "cost": {
         "type": "string"
        },
        "made_at": {
         "type": "string"
        },
        "missing": {
         "description": "why the take cannot be used",
         "type": "string"
        },
        "model": {
         "type": "string"
        },
        "request_id": {
         "type": "string"
        },
        "sha256": {
         "type": "string"
        },
        "take": {
         "type": "integer"
        },
        "url": {
         "description": "the take's file",
         "type": "string"
        }
       },
       "required": [
        "take"
       ],
       "type": "object"
      },
      "type": "array"
     },
     "used": {
      "type": "integer"
     }
    },
    "required": [
     "run",
     "node",
     "job_key",
     "used",
     "takes"
    ],
    "type": "object"
   },
   "TemplateDocument": {
    "properties": {
     "diagnostics": {
      "items": {
       "$ref": "#/components/schemas/Diagnostic"
      },
      "type": "array"
     },
     "file": {
      "type": "string"
     },
     "id": {
      "type": "string"
     },
     "template": {
      "description": "the file's value as JSON; null when it does not parse"
     }
    },
    "required": [
     "id",
     "file",
     "template",
     "diagnostics"
    ],
    "type": "object"
   },
   "TemplateSummary": {
    "properties": {
     "errors": {
      "type": "integer"
     },
     "file": {
      "type": "string"
     },
     "id": {
      "type": "string"
     },
     "scenes": {
      "type": "integer"
     },
     "valid": {
      "type": "boolean"
     },
     "warnings": {
      "type": "integer"
     }
    },
    "required": [
     "id",
     "file",
     "valid",
     "scenes",
     "errors",
     "warnings"
    ],
    "type": "object"
   },
   "Validation": {
    "properties": {
     "diagnostics": {
      "items": {
       "$ref": "#/components/schemas/Diagnostic"
      },
      "type": "array"
     },
     "template": {
      "description": "a YAML body, as JSON (YAML requests only, when it parses to an object)",
      "type": "object"
     },
     "valid": {
      "type": "boolean"
     }
    },
    "required": [
     "valid",
     "diagnostics"
    ],
    "type": "object"
   }
  },
  "securitySchemes": {
   "bearer": {
    "scheme": "bearer",
    "type": "http"
   }
  }
 },
 "info": {
  "description": "`sceneflow serve`: the contract of ../shared/spec/api.md. Errors are {\"error\": {\"code\", \"message\", \"diagnostics\"?}}. Bound to loopback no token is needed; otherwise every /api/ request needs `Authorization: Bearer <SCENEFLOW_TOKEN>`. State-changing requests from another origin get 403.",
  "title": "SceneFlow HTTP API",
  "version": "1"
 },
 "openapi": "3.1.0",
 "paths": {
  "/api/v1/graph": {
   "post": {
    "operationId": "graph",
    "parameters": [
     {
      "in": "query",
      "name": "format",
      "required": false,
      "schema": {
       "default": "svg",
       "enum": [
        "svg",
        "json"
       ],
       "type": "string"
      }
     }
    ],
    "requestBody": {
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/Template"
       }
      },
      "application/yaml": {
       "schema": {
        "$ref": "#/components/schemas/Template"
       }
      }
     },
     "required": true
    },
    "responses": {
     "200": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Graph"
        }
       },
       "image/svg+xml": {
        "schema": {
         "type": "string"
        }
       }
      },
      "description": "the diagram"
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthorized"
     },
     "403": {
      "$ref": "#/components/responses/Forbidden"
     },
     "413": {
      "$ref": "#/components/responses/TooLarge"
     },
     "415": {
      "$ref": "#/components/responses/NotATemplateType"
     },
     "422": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "invalid template (with diagnostics)"
     }
    },
    "summary": "The diagram of a template"
   }
  },
  "/api/v1/health": {
   "get": {
    "operationId": "health",
    "responses": {
     "200": {
      "content": {
       "application/json": {
        "schema": {
         "properties": {
          "status": {
           "const": "ok"
          },
          "version": {
           "type": "string"
          }
         },
         "required": [
          "status",
          "version"
         ],
         "type": "object"
        }
       }
      },
      "description": "ok"
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthorized"
     },
     "403": {
      "$ref": "#/components/responses/Forbidden"
     }
    },
    "summary": "Liveness and version"
   }
  },
  "/api/v1/models": {
   "get": {
    "operationId": "models",
    "responses": {
     "200": {
      "content": {
       "application/json": {
        "schema": {
         "items": {
          "$ref": "#/components/schemas/Model"
         },
         "type": "array"
        }
       }
      },
      "description": "the models"
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthorized"
     },
     "403": {
      "$ref": "#/components/responses/Forbidden"
     }
    },
    "summary": "The model registry, as `models --format json`"
   }
  },
  "/api/v1/plan": {
   "post": {
    "operationId": "plan",
    "parameters": [
     {
      "in": "query",
      "name": "offline",
      "required": false,
      "schema": {
       "enum": [
        "true",
        "false",
        "1",
        "0"
       ],
       "type": "string"
      }
     },
     {
      "description": "plan what a run for this product would make: its stored files, and outputs already in the cache (and picked takes), are counted as cached",
      "in": "query",
      "name": "product_id",
      "required": false,
      "schema": {
       "pattern": "^[a-z0-9][a-z0-9_-]*$",
       "type": "string"
      }
     },
     {
      "description": "comma-separated targets (node ids, scene ids, stages such as frames): only what they need",
      "in": "query",
      "name": "targets",
      "required": false,
      "schema": {
       "type": "string"
      }
     }
    ],
    "requestBody": {
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/Template"
       }
      },
      "application/yaml": {
       "schema": {
        "$ref": "#/components/schemas/Template"
       }
      }
     },
     "required": true
    },
    "responses": {
     "200": {
      "content": {
       "application/json": {
        "schema": {
         "type": "object"
        }
       }
      },
      "description": "the plan"
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthorized"
     },
     "403": {
      "$ref": "#/components/responses/Forbidden"
     },
     "413": {
      "$ref": "#/components/responses/TooLarge"
     },
     "415": {
      "$ref": "#/components/responses/NotATemplateType"
     },
     "422": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "invalid template (with diagnostics)"
     }
    },
    "summary": "The plan of a template, as `plan --format json`"
   }
  },
  "/api/v1/products": {
   "get": {
    "operationId": "listProducts",
    "responses": {
     "200": {
      "content": {
       "application/json": {
        "schema": {
         "items": {
          "$ref": "#/components/schemas/Product"
         },
         "type": "array"
        }
       }
      },
      "description": "products"
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthorized"
     },
     "403": {
      "$ref": "#/components/responses/Forbidden"
     }
    },
    "summary": "Products with stored assets"
   }
  },
  "/api/v1/products/{product_id}/assets": {
   "get": {
    "operationId": "listAssets",
    "parameters": [
     {
      "$ref": "#/components/parameters/ProductId"
     }
    ],
    "responses": {
     "200": {
      "content": {
       "application/json": {
        "schema": {
         "items": {
          "$ref": "#/components/schemas/Asset"
         },
         "type": "array"
        }
       }
      },
      "description": "assets"
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthorized"
     },
     "403": {
      "$ref": "#/components/responses/Forbidden"
     }
    },
    "summary": "A product's stored assets"
   }
  },
  "/api/v1/products/{product_id}/assets/{asset_key}": {
   "delete": {
    "operationId": "removeAssets",
    "parameters": [
     {
      "$ref": "#/components/parameters/ProductId"
     },
     {
      "in": "path",
      "name": "asset_key",
      "required": true,
      "schema": {
       "pattern": "^(avatar:|background:)?[a-z0-9][a-z0-9_-]*$",
       "type": "string"
      }
     }
    ],
    "responses": {
     "200": {
      "content": {
       "application/json": {
        "schema": {
         "properties": {
          "removed": {
           "minimum": 1,
           "type": "integer"
          }
         },
         "required": [
          "removed"
         ],
         "type": "object"
        }
       }
      },
      "description": "removed"
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthorized"
     },
     "403": {
      "$ref": "#/components/responses/Forbidden"
     },
     "404": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "nothing stored for that slot"
     }
    },
    "summary": "Remove a slot's files for the product"
   },
   "post": {
    "operationId": "uploadAssets",
    "parameters": [
     {
      "$ref": "#/components/parameters/ProductId"
     },
     {
      "description": "a slot's asset key, or avatar:ID / background:ID",
      "in": "path",
      "name": "asset_key",
      "required": true,
      "schema": {
       "pattern": "^(avatar:|background:)?[a-z0-9][a-z0-9_-]*$",
       "type": "string"
      }
     },
     {
      "description": "the slot's type, when known: a file of the other kind (a video for an image slot) is refused with 422",
      "in": "query",
      "name": "slot_type",
      "required": false,
      "schema": {
       "enum": [
        "product_image",
        "product_video",
        "logo",
        "reference_image"
       ],
       "type": "string"
      }
     }
    ],
    "requestBody": {
     "content": {
      "multipart/form-data": {
       "schema": {
        "properties": {
         "file": {
          "items": {
           "format": "binary",
           "type": "string"
          },
          "type": "array"
         }
        },
        "required": [
         "file"
        ],
        "type": "object"
       }
      }
     },
     "required": true
    },
    "responses": {
     "201": {
      "content": {
       "application/json": {
        "schema": {
         "items": {
          "$ref": "#/components/schemas/Asset"
         },
         "type": "array"
        }
       }
      },
      "description": "stored"
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthorized"
     },
     "403": {
      "$ref": "#/components/responses/Forbidden"
     },
     "413": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "a file or the body is too large"
     },
     "415": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "not multipart/form-data"
     },
     "422": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "a file that is not what its slot takes"
     }
    },
    "summary": "Store files for a slot (multipart/form-data, `file` parts; checked by content; replaces the slot's files)"
   }
  },
  "/api/v1/products/{product_id}/assets/{asset_key}/files/{sha256}": {
   "get": {
    "operationId": "assetFile",
    "parameters": [
     {
      "$ref": "#/components/parameters/ProductId"
     },
     {
      "description": "a slot's key, or avatar:ID / background:ID",
      "in": "path",
      "name": "asset_key",
      "required": true,
      "schema": {
       "type": "string"
      }
     },
     {
      "description": "the file's SHA-256",
      "in": "path",
      "name": "sha256",
      "required": true,
      "schema": {
       "pattern": "^[0-9a-f]{64}$",
       "type": "string"
      }
     },
     {
      "$ref": "#/components/parameters/RangeHeader"
     }
    ],
    "responses": {
     "200": {
      "content": {
       "application/octet-stream": {
        "schema": {
         "format": "binary",
         "type": "string"
        }
       }
      },
      "description": "the file"
     },
     "206": {
      "content": {
       "application/octet-stream": {
        "schema": {
         "format": "binary",
         "type": "string"
        }
       }
      },
      "description": "part of the file"
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthorized"
     },
     "404": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "no such product, slot or file"
     },
     "416": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "a range outside the file"
     }
    },
    "summary": "a stored asset's bytes (the hydrate page's thumbnails)"
   }
  },
  "/api/v1/runs": {
   "get": {
    "operationId": "listRuns",
    "parameters": [
     {
      "in": "query",
      "name": "template",
      "required": false,
      "schema": {
       "pattern": "^[a-z0-9][a-z0-9_-]*$",
       "type": "string"
      }
     },
     {
      "in": "query",
      "name": "product_id",
      "required": false,
      "schema": {
       "pattern": "^[a-z0-9][a-z0-9_-]*$",
       "type": "string"
      }
     }
    ],
    "responses": {
     "200": {
      "content": {
       "application/json": {
        "schema": {
         "items": {
          "$ref": "#/components/schemas/RunSummary"
         },
         "type": "array"
        }
       }
      },
      "description": "runs"
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthorized"
     },
     "403": {
      "$ref": "#/components/responses/Forbidden"
     }
    },
    "summary": "Run history, newest first"
   },
   "post": {
    "operationId": "startRun",
    "requestBody": {
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/RunRequest"
       }
      }
     },
     "required": true
    },
    "responses": {
     "202": {
      "content": {
       "application/json": {
        "schema": {
         "properties": {
          "id": {
           "type": "string"
          },
          "status": {
           "const": "running"
          }
         },
         "required": [
          "id",
          "status"
         ],
         "type": "object"
        }
       }
      },
      "description": "started"
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthorized"
     },
     "403": {
      "$ref": "#/components/responses/Forbidden"
     },
     "404": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "no such template"
     },
     "413": {
      "$ref": "#/components/responses/TooLarge"
     },
     "415": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "not JSON"
     },
     "422": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "invalid template or inputs (with diagnostics), unknown target, missing keys, over budget: no run exists"
     }
    },
    "summary": "Start a hydration (every check first; nothing is spent before)"
   }
  },
  "/api/v1/runs/{id}": {
   "get": {
    "operationId": "getRun",
    "parameters": [
     {
      "$ref": "#/components/parameters/RunID"
     }
    ],
    "responses": {
     "200": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/RunReport"
        }
       }
      },
      "description": "the report"
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthorized"
     },
     "403": {
      "$ref": "#/components/responses/Forbidden"
     },
     "404": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "no such run"
     }
    },
    "summary": "The run report (run.json), live while the run goes on"
   }
  },
  "/api/v1/runs/{id}/cancel": {
   "post": {
    "operationId": "cancelRun",
    "parameters": [
     {
      "$ref": "#/components/parameters/RunID"
     }
    ],
    "responses": {
     "200": {
      "content": {
       "application/json": {
        "schema": {
         "properties": {
          "id": {
           "type": "string"
          },
          "status": {
           "const": "cancelled"
          }
         },
         "required": [
          "id",
          "status"
         ],
         "type": "object"
        }
       }
      },
      "description": "cancelled"
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthorized"
     },
     "403": {
      "$ref": "#/components/responses/Forbidden"
     },
     "404": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "no such run"
     },
     "409": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "the run has finished, or runs in no server"
     }
    },
    "summary": "Cancel a run in progress; its report ends cancelled"
   }
  },
  "/api/v1/runs/{id}/events": {
   "get": {
    "operationId": "runEvents",
    "parameters": [
     {
      "$ref": "#/components/parameters/RunID"
     },
     {
      "in": "header",
      "name": "Last-Event-ID",
      "required": false,
      "schema": {
       "pattern": "^[0-9]+$",
       "type": "string"
      }
     }
    ],
    "responses": {
     "200": {
      "content": {
       "text/event-stream": {
        "schema": {
         "type": "string"
        }
       }
      },
      "description": "the event stream"
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthorized"
     },
     "403": {
      "$ref": "#/components/responses/Forbidden"
     },
     "404": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "no such run"
     }
    },
    "summary": "Server-Sent Events: the run's NDJSON events from the start, then live, until run_finished; Last-Event-ID resumes"
   }
  },
  "/api/v1/runs/{id}/files/{name}": {
   "get": {
    "operationId": "runFile",
    "parameters": [
     {
      "$ref": "#/components/parameters/RunID"
     },
     {
      "in": "path",
      "name": "name",
      "required": true,
      "schema": {
       "type": "string"
      }
     },
     {
      "$ref": "#/components/parameters/RangeHeader"
     }
    ],
    "responses": {
     "200": {
      "content": {
       "application/octet-stream": {
        "schema": {
         "format": "binary",
         "type": "string"
        }
       }
      },
      "description": "the file"
     },
     "206": {
      "content": {
       "application/octet-stream": {
        "schema": {
         "format": "binary",
         "type": "string"
        }
       }
      },
      "description": "part of the file"
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthorized"
     },
     "403": {
      "$ref": "#/components/responses/Forbidden"
     },
     "404": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "no such file in the run's folder"
     },
     "416": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "a range outside the file"
     }
    },
    "summary": "A file of the run's folder (final.mp4, a frame...), with Range support"
   }
  },
  "/api/v1/runs/{id}/graph.svg": {
   "get": {
    "operationId": "runGraph",
    "parameters": [
     {
      "$ref": "#/components/parameters/RunID"
     }
    ],
    "responses": {
     "200": {
      "content": {
       "image/svg+xml": {
        "schema": {
         "type": "string"
        }
       }
      },
      "description": "the diagram"
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthorized"
     },
     "403": {
      "$ref": "#/components/responses/Forbidden"
     },
     "404": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "no such run, or its template is gone"
     }
    },
    "summary": "The run's diagram, coloured by status"
   }
  },
  "/api/v1/runs/{id}/nodes/{node}/takes": {
   "get": {
    "operationId": "listTakes",
    "parameters": [
     {
      "$ref": "#/components/parameters/RunID"
     },
     {
      "$ref": "#/components/parameters/Node"
     }
    ],
    "responses": {
     "200": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/TakeList"
        }
       }
      },
      "description": "the takes"
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthorized"
     },
     "404": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "no such run, node or take"
     },
     "409": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "the node has no takes (a rehearsal, an input, a job that never started), or the take is no longer in the cache"
     }
    },
    "summary": "a node's takes, each with the URL of its file, the picked one and the one this run used"
   }
  },
  "/api/v1/runs/{id}/nodes/{node}/takes/{take}": {
   "get": {
    "operationId": "takeFile",
    "parameters": [
     {
      "$ref": "#/components/parameters/RunID"
     },
     {
      "$ref": "#/components/parameters/Node"
     },
     {
      "$ref": "#/components/parameters/Take"
     },
     {
      "$ref": "#/components/parameters/RangeHeader"
     }
    ],
    "responses": {
     "200": {
      "content": {
       "application/octet-stream": {
        "schema": {
         "format": "binary",
         "type": "string"
        }
       }
      },
      "description": "the file"
     },
     "206": {
      "content": {
       "application/octet-stream": {
        "schema": {
         "format": "binary",
         "type": "string"
        }
       }
      },
      "description": "part of the file"
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthorized"
     },
     "404": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "no such run, node or take"
     },
     "409": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "the node has no takes (a rehearsal, an input, a job that never started), or the take is no longer in the cache"
     },
     "416": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "a range outside the file"
     }
    },
    "summary": "a take's file, with Range support"
   }
  },
  "/api/v1/runs/{id}/nodes/{node}/takes/{take}/pick": {
   "post": {
    "operationId": "pickTake",
    "parameters": [
     {
      "$ref": "#/components/parameters/RunID"
     },
     {
      "$ref": "#/components/parameters/Node"
     },
     {
      "$ref": "#/components/parameters/Take"
     }
    ],
    "responses": {
     "200": {
      "content": {
       "application/json": {
        "schema": {
         "properties": {
          "job_key": {
           "type": "string"
          },
          "node": {
           "type": "string"
          },
          "picked": {
           "type": "integer"
          },
          "previous": {
           "type": [
            "integer",
            "null"
           ]
          }
         },
         "required": [
          "node",
          "job_key",
          "picked"
         ],
         "type": "object"
        }
       }
      },
      "description": "picked"
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthorized"
     },
     "403": {
      "$ref": "#/components/responses/Forbidden"
     },
     "404": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "no such run, node or take"
     },
     "409": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "the node has no takes (a rehearsal, an input, a job that never started), or the take is no longer in the cache"
     }
    },
    "summary": "approve a take: later runs of the same job use it (as `sceneflow takes pick`)"
   }
  },
  "/api/v1/templates": {
   "get": {
    "operationId": "listTemplates",
    "responses": {
     "200": {
      "content": {
       "application/json": {
        "schema": {
         "items": {
          "$ref": "#/components/schemas/TemplateSummary"
         },
         "type": "array"
        }
       }
      },
      "description": "templates"
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthorized"
     },
     "403": {
      "$ref": "#/components/responses/Forbidden"
     }
    },
    "summary": "The templates of the served folder (file name without extension = id)"
   }
  },
  "/api/v1/templates/{id}": {
   "get": {
    "operationId": "getTemplate",
    "parameters": [
     {
      "$ref": "#/components/parameters/TemplateID"
     }
    ],
    "responses": {
     "200": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/TemplateDocument"
        }
       }
      },
      "description": "the template"
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthorized"
     },
     "403": {
      "$ref": "#/components/responses/Forbidden"
     },
     "404": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "no such template"
     }
    },
    "summary": "A template, its value as JSON and its diagnostics"
   },
   "put": {
    "operationId": "putTemplate",
    "parameters": [
     {
      "$ref": "#/components/parameters/TemplateID"
     }
    ],
    "requestBody": {
     "content": {
      "application/json": {
       "schema": {
        "type": [
         "object",
         "array",
         "string",
         "number",
         "boolean",
         "null"
        ]
       }
      },
      "application/yaml": {
       "schema": {}
      }
     },
     "description": "any template, valid or not: the answer reports its problems",
     "required": true
    },
    "responses": {
     "200": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/SavedTemplate"
        }
       }
      },
      "description": "saved over the existing file"
     },
     "201": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/SavedTemplate"
        }
       }
      },
      "description": "saved as a new file"
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthorized"
     },
     "403": {
      "$ref": "#/components/responses/Forbidden"
     },
     "413": {
      "$ref": "#/components/responses/TooLarge"
     },
     "415": {
      "$ref": "#/components/responses/NotATemplateType"
     }
    },
    "summary": "Save a template atomically (an invalid one is saved and reported)"
   }
  },
  "/api/v1/templates/{id}/images": {
   "post": {
    "operationId": "uploadTemplateImage",
    "parameters": [
     {
      "$ref": "#/components/parameters/TemplateID"
     }
    ],
    "requestBody": {
     "content": {
      "multipart/form-data": {
       "schema": {
        "properties": {
         "file": {
          "format": "binary",
          "type": "string"
         }
        },
        "required": [
         "file"
        ],
        "type": "object"
       }
      }
     },
     "required": true
    },
    "responses": {
     "201": {
      "content": {
       "application/json": {
        "schema": {
         "properties": {
          "path": {
           "type": "string"
          }
         },
         "required": [
          "path"
         ],
         "type": "object"
        }
       }
      },
      "description": "stored"
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthorized"
     },
     "403": {
      "$ref": "#/components/responses/Forbidden"
     },
     "413": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "the image is over 64 MB"
     },
     "415": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "not multipart/form-data"
     },
     "422": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      },
      "description": "not a PNG, JPEG or WebP image (checked by content)"
     }
    },
    "summary": "an avatar or background image for a template, stored as images/<id>-<sha>.<type> beside the templates; answers the path the template writes"
   }
  },
  "/api/v1/validate": {
   "post": {
    "operationId": "validate",
    "requestBody": {
     "content": {
      "application/json": {
       "schema": {
        "type": [
         "object",
         "array",
         "string",
         "number",
         "boolean",
         "null"
        ]
       }
      },
      "application/yaml": {
       "schema": {}
      }
     },
     "description": "any template, valid or not: the answer reports its problems",
     "required": true
    },
    "responses": {
     "200": {
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Validation"
        }
       }
      },
      "description": "the diagnostics"
     },
     "400": {
      "$ref": "#/components/responses/BadRequest"
     },
     "401": {
      "$ref": "#/components/responses/Unauthorized"
     },
     "403": {
      "$ref": "#/components/responses/Forbidden"
     },
     "413": {
      "$ref": "#/components/responses/TooLarge"
     },
     "415": {
      "$ref": "#/components/responses/NotATemplateType"
     }
    },
    "summary": "Validate a template (JSON, or YAML with Content-Type application/yaml)"
   }
  },
  "/openapi.json": {
   "get": {
    "operationId": "openapi",
    "responses": {
     "200": {
      "content": {
       "application/json": {
        "schema": {
         "type": "object"
        }
       }
      },
      "description": "the OpenAPI document"
     }
    },
    "summary": "This document"
   }
  }
 },
 "servers": [
  {
   "url": "/"
  }
 ]
}
"""#
}
