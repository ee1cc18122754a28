import SceneFlowCLI

await SceneFlowCommand.entryPoint()
