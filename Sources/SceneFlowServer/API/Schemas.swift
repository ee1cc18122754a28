import SceneFlowBasics
import SceneFlowRun
import SceneFlowStore
import SceneFlowTemplate

// The schemas of the bodies the API answers with that are defined elsewhere (the libraries'
// own types, shared with the command line): each beside nothing but its description here,
// the type itself being the one both encode.

extension APIError.Body: Documented {
    static var componentName: String { "Error" }
    static var schema: JSONSchema {
        .object(["error": .object(["code": .string(), "message": .string(), "diagnostics": .array(of: Diagnostic.reference)],
                                  required: ["code", "message"])], required: ["error"])
    }
}

extension Diagnostic: Documented {
    static var schema: JSONSchema {
        .object(["severity": .oneOf(["error", "warning"]), "code": .string(), "message": .string(), "path": .nullable("string"),
                 "file": .nullable("string"), "line": .nullable("integer"), "column": .nullable("integer"), "suggestion": .nullable("string")],
                required: ["severity", "code", "message"])
    }
}

extension RunReport: Documented {
    static var schema: JSONSchema {
        .object(["run_id": .string(), "status": .oneOf(RunReport.Status.allCases.map { .string($0.rawValue) }),
                 "stop_reason": .nullable("string"), "final_video": .nullable("string"),
                 "nodes": .array(of: .object(["id": .string(), "kind": .string(),
                                              "status": .oneOf(NodeStatus.allCases.map { .string($0.rawValue) }),
                                              "input": .nullable("string"), "reads": .array(of: .string()),
                                              "attempt_log": .array(of: .object(["started_at": .string(), "seconds": .number, "error": .nullable("string")],
                                                                                required: ["started_at", "seconds"]))],
                                     required: ["id", "status"]))],
                required: ["run_id", "status", "nodes"])
    }
}

extension RunRow: Documented {
    static var componentName: String { "RunSummary" }
    static var schema: JSONSchema {
        .object(["run_id": .string(), "template": .string(), "product_id": .nullable("string"), "status": .string(), "simulated": .boolean,
                 "started_at": .string(), "finished_at": .nullable("string"), "spend": .string(), "spend_estimated": .boolean,
                 "counts": .any(description: "jobs made, cached, failed, blocked, skipped; inputs; reused frames"),
                 "folder": .string(), "final_video": .nullable("string"), "superseded_by": .nullable("string"),
                 "stage": .oneOf(["frames", "clips", "final"]), "thumbnail": .string(description: "the first scene's first frame (GET)")],
                required: ["run_id", "template", "status"])
    }
}

extension AssetRow: Documented {
    static var componentName: String { "Asset" }
    static var schema: JSONSchema {
        .object(["asset_key": .string(), "file": .string(), "original_name": .string(), "type": .string(), "sha256": .string(),
                 "bytes": .integer, "added_at": .string(), "url": .string(description: "the stored file's bytes (GET)")],
                required: ["asset_key", "file", "type", "sha256", "bytes", "added_at"])
    }
}

extension ProductRow: Documented {
    static var componentName: String { "Product" }
    static var schema: JSONSchema { .object(["product_id": .string(), "assets": .integer], required: ["product_id", "assets"]) }
}
