using ElmoNative.Kernels;

namespace ElmoNative.Layers;

/// <summary>
/// The column-block pass of one LSTM inference step as a reusable parallel job (one per workspace, so that concurrent
/// calls on other workspaces do not share it): which layer, workspace and rows the parts of the step work on.
/// </summary>
internal sealed class LstmBlockJob
{
    public LstmBlockJob() => Body = (part, cell, hidden) => Layer!.RunBlocks(this, part, cell, hidden);

    /// <summary>The layer whose step runs.</summary>
    public LstmWithProjection? Layer { get; set; }

    /// <summary>The workspace with the step's packed rows and block buffers.</summary>
    public InferenceWorkspace? Workspace { get; set; }

    /// <summary>Rows of the step (of its row group).</summary>
    public int Rows { get; set; }

    /// <summary>Parts the column blocks are split into.</summary>
    public int Parts { get; set; }

    /// <summary>Where the step's rows start in the workspace's chunk of x W_x + B (row stride 4H); -1: the step computes x W_x + B per block.</summary>
    public int ChunkOffset { get; set; }

    /// <summary>The part: cell state and hidden output of the rows.</summary>
    public SpanPart Body { get; }
}
