using ElmoNative.Checkpoints;

namespace ElmoNative;

public sealed partial class ElmoModel
{
    /// <summary>Environment variable naming the folder of the model used when none is given (instead of the shipped one).</summary>
    public const string DefaultModelVariable = "ELMONATIVE_DEFAULT_MODEL";

    /// <summary>
    /// The folder of the default model: <c>$ELMONATIVE_DEFAULT_MODEL</c> if set, else <c>models/default/</c> beside the
    /// application (the package <c>ElmoNative.Models.Default</c>, a dependency of <c>ElmoNative</c>, copies the small
    /// Brown-trained biLM there on build). Null when neither exists.
    /// </summary>
    public static string? FindDefaultDirectory()
    {
        string? variable = Environment.GetEnvironmentVariable(DefaultModelVariable);
        if (!string.IsNullOrEmpty(variable)) return variable;
        string beside = Path.Combine(AppContext.BaseDirectory, "models", "default");
        return Directory.Exists(beside) ? beside : null;
    }

    /// <summary>
    /// Loads the default model (see <see cref="FindDefaultDirectory"/>): the small biLM trained by this project on the
    /// Brown corpus, unless <c>$ELMONATIVE_DEFAULT_MODEL</c> names another folder.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">No default model is installed beside the application.</exception>
    public static ElmoModel LoadDefault() => LoadDefault(null);

    /// <summary>As <see cref="LoadDefault()"/>, with <paramref name="loadOptions"/> (logger, threads, token cache).</summary>
    /// <exception cref="DirectoryNotFoundException">No default model is installed beside the application.</exception>
    public static ElmoModel LoadDefault(ElmoLoadOptions? loadOptions)
    {
        string directory = FindDefaultDirectory() ?? throw new DirectoryNotFoundException(
            $"no default model: {Path.Combine(AppContext.BaseDirectory, "models", "default")} does not exist (add the package ElmoNative.Models.Default, or set {DefaultModelVariable} to a model folder)");
        return LoadDirectory(directory, loadOptions);
    }
}
