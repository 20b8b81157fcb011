namespace ElmoNative.Output;

/// <summary>
/// Writes the index of an old-style HDF5 group (HDF5 file format specification, III.A.1 and III.B) from its links given one at a time in name order
/// (byte-wise strcmp), in memory bounded by the tree's height: the links are packed 2K = 8 to a symbol table node
/// ("SNOD"), the nodes are the children of level-0 B-tree nodes ("TREE", up to 2K = 32 children each), those the
/// children of level-1 nodes, and so on up to a single root. Each level keeps only the node it is filling; a full node
/// is written when one more child arrives for its level, and hands its address and last key to the level above.
/// Nodes are full except the last of each level (the library reads any fill; it splits full nodes itself if it later
/// adds links).
/// </summary>
internal sealed class SymbolTableBuilder
{
    private const int LinksPerNode = 2 * Hdf5StreamWriter.GroupLeafNodeK;
    private const int ChildrenPerNode = 2 * Hdf5StreamWriter.GroupInternalNodeK;

    private readonly Hdf5StreamWriter file;
    private readonly long[] linkNames = new long[LinksPerNode];
    private readonly long[] linkHeaders = new long[LinksPerNode];
    private readonly List<Level> levels = []; // index = B-tree level; grows by one per factor of 32 in the link count
    private int links;
    private long lastName = -1;

    /// <summary>Writes the nodes to <paramref name="file"/> as they fill.</summary>
    public SymbolTableBuilder(Hdf5StreamWriter file) => this.file = file;

    /// <summary>
    /// Adds the link whose name is at <paramref name="nameOffset"/> in the group's local heap and which points to the
    /// object header at <paramref name="objectHeader"/>. Names must come in strictly increasing strcmp order (not checked:
    /// the caller generates them in that order).
    /// </summary>
    public void Add(long nameOffset, long objectHeader)
    {
        if (links == LinksPerNode) FlushLinks();
        linkNames[links] = nameOffset;
        linkHeaders[links] = objectHeader;
        links++;
        lastName = nameOffset;
    }

    /// <summary>Writes what is still pending and returns the address of the root B-tree node.</summary>
    public long Finish()
    {
        if (links == 0 && levels.Count == 0) throw new InvalidOperationException("a symbol table needs at least one link");
        FlushLinks();
        for (int level = 0; ; level++)
        {
            if (level == levels.Count - 1) return WriteNode(level); // the only node of the top level: the root
            FlushNode(level);
        }
    }

    private void FlushLinks()
    {
        if (links == 0) return;
        long node = file.WriteSymbolTableNode(linkNames.AsSpan(0, links), linkHeaders.AsSpan(0, links));
        links = 0;
        AddChild(0, node, lastName);
    }

    /// <summary>Adds a child (whose last name is at <paramref name="lastKey"/>) to the node being filled at <paramref name="level"/>.</summary>
    private void AddChild(int level, long child, long lastKey)
    {
        if (level == levels.Count) levels.Add(new Level());
        var node = levels[level];
        if (node.Count == ChildrenPerNode) FlushNode(level);
        node.Children[node.Count] = child;
        node.Keys[node.Count + 1] = lastKey;
        node.Count++;
    }

    /// <summary>Writes the node being filled at <paramref name="level"/> and passes it to the level above.</summary>
    private void FlushNode(int level)
    {
        var node = levels[level];
        long lastKey = node.Keys[node.Count];
        long address = WriteNode(level);
        AddChild(level + 1, address, lastKey);
    }

    private long WriteNode(int level)
    {
        var node = levels[level];
        node.Keys[0] = node.LeftKey;
        long address = file.WriteBTreeNode(level, node.LeftSibling, node.Keys.AsSpan(0, node.Count + 1), node.Children.AsSpan(0, node.Count));
        if (node.LeftSibling != Hdf5StreamWriter.UndefinedAddress) file.PatchRightSibling(node.LeftSibling, address);
        node.LeftSibling = address;
        node.LeftKey = node.Keys[node.Count];
        node.Count = 0;
        return address;
    }

    /// <summary>The node being filled at one level, and what its next node needs from the last one written.</summary>
    private sealed class Level
    {
        public readonly long[] Children = new long[ChildrenPerNode];
        public readonly long[] Keys = new long[ChildrenPerNode + 1];
        public int Count;

        /// <summary>The last node written at this level (the next one's left sibling), or undefined.</summary>
        public long LeftSibling = Hdf5StreamWriter.UndefinedAddress;

        /// <summary>The last key of that node: the next node's key 0 (offset 0, the empty string, for the first node).</summary>
        public long LeftKey;
    }
}
