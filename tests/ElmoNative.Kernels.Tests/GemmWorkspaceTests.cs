using ElmoNative.Kernels.Gemm;

namespace ElmoNative.Kernels.Tests;

/// <summary>
/// The GEMM pack buffers are rented per call from a pool shared by all threads: a workspace is never held by two calls
/// at once, and one given back is taken again instead of a new one being made (a pool that dropped them fails the bound).
/// </summary>
public class GemmWorkspaceTests
{
    [Fact]
    public void AWorkspaceIsNeverRentedTwiceAtOnce()
    {
        var inUse = new HashSet<GemmWorkspace>(ReferenceEqualityComparer.Instance);
        var all = new HashSet<GemmWorkspace>(ReferenceEqualityComparer.Instance);
        Parallel.For(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 8 }, _ =>
        {
            for (int i = 0; i < 2000; i++)
            {
                var workspace = GemmWorkspace.Rent();
                lock (inUse)
                {
                    Assert.True(inUse.Add(workspace), "a workspace was rented while another call held it");
                    all.Add(workspace);
                }
                Thread.SpinWait(20);
                lock (inUse) inUse.Remove(workspace);
                GemmWorkspace.Return(workspace);
            }
        });
        // About one per concurrent caller (8 here, plus any other test's GEMMs running meanwhile), not one per call of the
        // 16,000: a workspace given back is taken again.
        Assert.InRange(all.Count, 1, 64);
    }
}
