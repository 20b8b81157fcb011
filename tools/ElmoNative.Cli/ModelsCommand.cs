using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Text;
using System.Text.Json;
using ElmoNative.Hub;

namespace ElmoNative.Cli;

/// <summary>
/// <c>elmo models list|download|path</c>: the published models by name (the built-in list of AllenNLP's ELMo page plus a
/// user registry), their state in the download cache, and downloading them (docs/models.md).
/// </summary>
internal static class ModelsCommand
{
    private const string ModelsNote = """
        The registry is the built-in list (AllenNLP's published ELMo models) plus --registry FILE, else the file named by
        ELMONATIVE_REGISTRY. The cache folder is $ELMONATIVE_HOME, else $XDG_CACHE_HOME/elmonative, else
        ~/.cache/elmonative; each model has its folder there, named after it. docs/models.md has the registry format and
        how to fill the cache by hand when offline.
        """;

    /// <summary>Bytes per parameter of the weights (float32), for the approximate size when no source gives the real one.</summary>
    private const int BytesPerParameter = 4;

    /// <summary>The command and its subcommands.</summary>
    public static ElmoCommand Create()
    {
        var models = new ElmoCommand("models", "list, download and locate published models (--model NAME)", RunGroup)
        {
            Synopsis =
            [
                "elmo models list [--json] [--verify] [--registry FILE]",
                "elmo models download NAME... [--registry FILE] [--progress|--no-progress]",
                "elmo models path NAME [--registry FILE]",
            ],
            Details = """
                The published ELMo models, by the names that --model NAME takes in embed, token-embeddings and info: a name
                not yet in the cache is downloaded there on first use, then used from there without any network request.
                """,
            Notes = ModelsNote,
        };
        models.Add(CreateList());
        models.Add(CreateDownload());
        models.Add(CreatePath());
        return models;
    }

    private static ElmoCommand CreateList()
    {
        var command = new ElmoCommand("list", "every model of the registry and whether it is in the cache", RunList)
        {
            Synopsis = ["elmo models list [--json] [--verify] [--registry FILE]"],
            Details = """
                Lists every model of the registry, one per line: its name, its first alias (+N: more aliases; --json lists
                them all), its parameters in millions, the size of its weights file, its language and its state in the
                cache (complete, partial: a download that stopped or one file of two, not downloaded), then the cache folder.
                The weights size is exact when the registry states it or the file is in the cache; otherwise it is marked ~
                and approximate: parameters x 4 bytes (float32), since no source gives the published files' sizes.
                """,
            Notes = ModelsNote,
        };
        command.Switch("--json", "one JSON object on stdout: the cache folder, the registry file and every model with all its fields");
        command.Switch("--verify", "complete also means the files' SHA-256 digests are checked (reads every downloaded file); without it, both files there with the registry's sizes where stated");
        ModelHub.AddRegistryOption(command);
        CommonOptions.AddQuiet(command);
        return command;
    }

    private static ElmoCommand CreateDownload()
    {
        var command = new ElmoCommand("download", "download models into the cache and print their folders", RunDownload)
        {
            Synopsis = ["elmo models download NAME... [--registry FILE] [--progress|--no-progress]"],
            Details = """
                Downloads each named model (a name or an alias) into its cache folder and prints the folder, one line per
                model. A model complete in the cache costs no network request (the summary says so); a download that
                stopped (network failure, Ctrl+C) is resumed from where it stopped. Each file is streamed to NAME.partial,
                checked (length; SHA-256 where the registry states it) and renamed at the end; its digest is recorded in
                NAME.sha256. Unknown names are reported before anything is downloaded.
                """,
            Notes = ModelsNote,
        };
        command.Add(new Argument<string[]>("NAME") { Arity = ArgumentArity.OneOrMore, Description = "model names or aliases ('elmo models list')" });
        ModelHub.AddRegistryOption(command);
        CommonOptions.Progress(command);
        CommonOptions.AddQuiet(command);
        return command;
    }

    private static ElmoCommand CreatePath()
    {
        var command = new ElmoCommand("path", "print the cache folder of a model (for scripts)", RunPath)
        {
            Synopsis = ["elmo models path NAME [--registry FILE]"],
            Details = """
                Prints the cache folder of the named model, whether it is downloaded or not (the summary line says which);
                nothing is downloaded. For scripts: ls "$(elmo models path small)".
                """,
        };
        command.Add(new Argument<string>("NAME") { Arity = ArgumentArity.ExactlyOne, Description = "a model name or alias" });
        ModelHub.AddRegistryOption(command);
        CommonOptions.AddQuiet(command);
        return command;
    }

    /// <summary><c>elmo models</c> alone.</summary>
    private static int RunGroup(CommandContext context, OptionValues args) =>
        throw args.Error("missing subcommand: list, download or path");

    private static int RunList(CommandContext context, OptionValues args)
    {
        var hub = ModelHub.Open(context, args);
        bool verify = args.Has("--verify");
        var rows = hub.Registry.Models.Select(m => (Model: m, Status: hub.StatusOf(m, verify))).ToList();
        if (args.Has("--json")) WriteJson(context.Out, hub, rows);
        else WriteTable(context.Out, hub, rows);
        int complete = rows.Count(r => r.Status == CacheStatus.Complete), partial = rows.Count(r => r.Status == CacheStatus.Partial);
        string counts = string.Create(CultureInfo.InvariantCulture, $"{rows.Count} models, {complete} complete{(verify ? " (verified)" : "")}, {partial} partial");
        context.Summary = new RunSummary(counts);
        return 0;
    }

    private static int RunDownload(CommandContext context, OptionValues args)
    {
        var hub = ModelHub.Open(context, args);
        var names = Arguments(args, "NAME");
        var models = names.Select(hub.Find).Distinct().ToList(); // every name checked before any download
        int downloaded = 0;
        long bytes = 0;
        var already = new List<string>();
        string? folder = null;
        foreach (var model in models)
        {
            if (hub.Cache.IsComplete(model))
            {
                already.Add(model.Name);
                folder = hub.Cache.DirectoryOf(model);
            }
            else
            {
                (folder, long received) = hub.Download(model);
                downloaded++;
                bytes += received;
            }
            context.Out.WriteLine(folder);
            context.Out.Flush();
        }
        var c = CultureInfo.InvariantCulture;
        var counts = new List<string>();
        if (downloaded > 0) counts.Add(string.Create(c, $"{downloaded} downloaded ({FormatBytes(bytes)} received)"));
        if (already.Count > 0) counts.Add($"{string.Join(", ", already)} already complete in the cache (no download)");
        context.Summary = new RunSummary(string.Join(", ", counts), models.Count == 1 ? folder : null);
        return 0;
    }

    private static int RunPath(CommandContext context, OptionValues args)
    {
        var hub = ModelHub.Open(context, args);
        var model = hub.Find(args.Argument("NAME")!);
        context.Out.WriteLine(hub.Cache.DirectoryOf(model));
        context.Summary = new RunSummary($"{model.Name} {ModelHub.Describe(hub.StatusOf(model, verify: false))}");
        return 0;
    }

    /// <summary>Every value of a many-valued positional argument.</summary>
    private static List<string> Arguments(OptionValues args, string name) =>
        args.Result.GetResult(name) is ArgumentResult argument ? argument.Tokens.Select(t => t.Value).ToList() : [];

    private static void WriteTable(TextWriter output, ModelHub hub, List<(PublishedModel Model, CacheStatus Status)> rows)
    {
        string[] header = ["NAME", "ALIASES", "PARAMETERS", "WEIGHTS", "LANGUAGE", "CACHE"];
        var cells = rows.Select(r => new[]
        {
            r.Model.Name,
            ShortAliases(r.Model),
            r.Model.ParametersMillions is double p ? p.ToString("F1", CultureInfo.InvariantCulture) + " M" : "?",
            WeightsSize(hub, r.Model, r.Status) is var (size, exact) ? (exact ? "" : "~") + FormatBytes(size) : "?",
            r.Model.Language ?? "?",
            ModelHub.Describe(r.Status),
        }).ToList();
        var widths = Enumerable.Range(0, header.Length).Select(i => cells.Select(row => row[i].Length).Append(header[i].Length).Max()).ToArray();
        var text = new StringBuilder();
        foreach (var row in cells.Prepend(header))
        {
            var line = new StringBuilder();
            for (int i = 0; i < row.Length; i++)
            {
                bool right = i is 2 or 3; // numbers
                string cell = right ? row[i].PadLeft(widths[i]) : i == row.Length - 1 ? row[i] : row[i].PadRight(widths[i]);
                line.Append(cell).Append(i == row.Length - 1 ? "" : "  ");
            }
            text.AppendLine(line.ToString().TrimEnd());
        }
        text.AppendLine($"cache folder: {hub.Cache.Root}");
        if (hub.RegistryPath is not null) text.AppendLine($"user registry: {Path.GetFullPath(hub.RegistryPath)}");
        if (cells.Any(c => c[3].StartsWith('~'))) text.AppendLine("~ approximate: parameters x 4 bytes (no source gives the files' sizes)");
        output.Write(text.ToString().ReplaceLineEndings("\n"));
    }

    private static void WriteJson(TextWriter output, ModelHub hub, List<(PublishedModel Model, CacheStatus Status)> rows)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("cache", hub.Cache.Root);
            WriteStringOrNull(json, "registry", hub.RegistryPath is null ? null : Path.GetFullPath(hub.RegistryPath));
            json.WriteStartArray("models");
            foreach (var (model, status) in rows)
            {
                json.WriteStartObject();
                json.WriteString("name", model.Name);
                json.WriteStartArray("aliases");
                foreach (string alias in model.Aliases) json.WriteStringValue(alias);
                json.WriteEndArray();
                json.WriteString("description", model.Description);
                WriteStringOrNull(json, "language", model.Language);
                WriteStringOrNull(json, "trainingData", model.TrainingData);
                if (model.ParametersMillions is double p) json.WriteNumber("parametersMillions", p);
                else json.WriteNull("parametersMillions");
                if (WeightsSize(hub, model, status) is var (size, exact))
                {
                    json.WriteNumber("weightsBytes", size);
                    json.WriteBoolean("weightsBytesApproximate", !exact);
                }
                else
                {
                    json.WriteNull("weightsBytes");
                    json.WriteNull("weightsBytesApproximate");
                }
                json.WriteString("cache", ModelHub.Describe(status));
                json.WriteString("folder", hub.Cache.DirectoryOf(model));
                WriteFile(json, "options", model.Options);
                WriteFile(json, "weights", model.Weights);
                WriteStringOrNull(json, "contributor", model.Contributor);
                WriteStringOrNull(json, "source", model.Source);
                WriteStringOrNull(json, "registryFile", model.RegistryFile);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        output.Write(Encoding.UTF8.GetString(buffer.ToArray()).ReplaceLineEndings("\n"));
        output.Write('\n');
    }

    private static void WriteFile(Utf8JsonWriter json, string name, ModelFileInfo file)
    {
        json.WriteStartObject(name);
        json.WriteString("fileName", file.FileName);
        json.WriteString("url", file.Url.ToString());
        if (file.Size is long size) json.WriteNumber("size", size);
        else json.WriteNull("size");
        WriteStringOrNull(json, "sha256", file.Sha256);
        json.WriteEndObject();
    }

    private static void WriteStringOrNull(Utf8JsonWriter json, string name, string? value)
    {
        if (value is null) json.WriteNull(name);
        else json.WriteString(name, value);
    }

    /// <summary>The first alias, with +N when there are more (the table stays readable; --json has them all).</summary>
    private static string ShortAliases(PublishedModel model) => model.Aliases.Count switch
    {
        0 => "",
        1 => model.Aliases[0],
        var n => string.Create(CultureInfo.InvariantCulture, $"{model.Aliases[0]} +{n - 1}"),
    };

    /// <summary>
    /// The weights file's size: the registry's, else the cached file's when the model is complete (both exact), else
    /// parameters x 4 bytes (approximate), else null.
    /// </summary>
    private static (long Bytes, bool Exact)? WeightsSize(ModelHub hub, PublishedModel model, CacheStatus status)
    {
        if (model.Weights.Size is long size) return (size, true);
        if (status == CacheStatus.Complete) return (new FileInfo(hub.Cache.PathOf(model, model.Weights)).Length, true);
        if (model.ParametersMillions is double p) return ((long)Math.Round(p * 1e6 * BytesPerParameter), false);
        return null;
    }

    /// <summary>Bytes in kB, MB or GB (powers of 1000), two or three significant digits.</summary>
    internal static string FormatBytes(long bytes)
    {
        var c = CultureInfo.InvariantCulture;
        return bytes switch
        {
            >= 10_000_000_000 => string.Create(c, $"{bytes / 1e9:F0} GB"),
            >= 1_000_000_000 => string.Create(c, $"{bytes / 1e9:F1} GB"),
            >= 10_000_000 => string.Create(c, $"{bytes / 1e6:F0} MB"),
            >= 1_000_000 => string.Create(c, $"{bytes / 1e6:F1} MB"),
            >= 10_000 => string.Create(c, $"{bytes / 1e3:F0} kB"),
            >= 1_000 => string.Create(c, $"{bytes / 1e3:F1} kB"),
            _ => string.Create(c, $"{bytes} bytes"),
        };
    }
}
